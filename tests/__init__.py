"""The test suite: a regular package, so that its modules import as ``tests.*``.

Some libraries (acnportal, of the ``bench`` extra) install a top-level ``tests``
package; a regular package here is found first from the checkout, where a
namespace package would lose to theirs.
"""
