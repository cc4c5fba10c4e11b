"""Optional ``orjson`` acceleration of frame parsing and writing (the ``speed`` extra).

Theory of operation
-------------------
:func:`ocpp_core.rpc.parse_frame` and :func:`ocpp_core.rpc.serialize_frame`
ask this module first; it answers only when ``orjson`` is installed and its
answer is certain to equal what the standard library would give, and returns
:data:`MISS` otherwise, so the standard library decides (and words the error).
The differences of ``orjson`` that matter, and how each is kept out:

* it keeps the last of two equal keys, where the strict reader refuses the
  frame: the keys in the text are counted and compared with the keys of the
  parsed objects. In a text without backslashes and without blanks between a
  key and its colon, every ``":`` ends a key, and the same holds for the
  parsed value written back by ``orjson``, so two counts of ``":`` (both in C)
  decide; otherwise every string of the text is matched (a key is a string
  followed by ``:``) and the objects' keys are summed;
* it reads an integer beyond 64 bits as a float: when the parsed value,
  written back by ``orjson``, holds a float of 1e16 or more (written with
  ``e+``; an integer beyond 64 bits is one), the standard library decides;
* it writes ``NaN`` and the infinities as ``null``, where the writer refuses
  them: an output containing ``null`` is written again by the standard library;
* it writes ``datetime`` and dataclass values by itself: those are passed through
  to the standard library, which refuses them.

Floats are written in the shortest form that reads back to the same number by
both, though the exponent is spelled differently (``1e-05`` and ``0.00001``):
the text differs there, the values never do.

Everything here is pure; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any, Final

_orjson: ModuleType | None
try:  # pragma: no cover - depends on the environment
    import orjson as _orjson
except ImportError:  # pragma: no cover - depends on the environment
    _orjson = None

__all__ = ["AVAILABLE", "MISS", "dumps", "enabled", "loads", "use"]

AVAILABLE: Final = _orjson is not None
"""Whether ``orjson`` is installed."""

MISS: Final = object()
"""Returned by :func:`loads` when the standard library must decide."""

enabled: bool = AVAILABLE
"""Whether parsing and writing use ``orjson`` (switch with :func:`use`)."""

# Every JSON string, with the ":" that follows it when it is a key. Strings are
# consumed whole, so a quote inside one never starts a false match.
_STRING: Final = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"\s*(:?)', re.DOTALL)
_BLANK_BEFORE_COLON: Final = re.compile(r'"[ \t\r\n]+:')
_OPTIONS: Final = (
    0 if _orjson is None else _orjson.OPT_PASSTHROUGH_DATETIME | _orjson.OPT_PASSTHROUGH_DATACLASS
)


def _count_keys(value: object) -> int:
    count = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            count += len(item)
            stack.extend(v for v in item.values() if isinstance(v, dict | list))
        elif isinstance(item, list):
            stack.extend(v for v in item if isinstance(v, dict | list))
    return count


def loads(text: str, *, strict: bool) -> Any:
    """Parse ``text`` with ``orjson``, or return :data:`MISS` to leave it to the stdlib.

    Args:
        text: the JSON text.
        strict: refuse repeated keys (return :data:`MISS` when there are any).
    """
    if _orjson is None:
        return MISS
    try:
        value = _orjson.loads(text)
        out: bytes = _orjson.dumps(value)
    except (_orjson.JSONDecodeError, TypeError):
        return MISS
    if b"e+" in out:  # a float of 1e16 or more: maybe an integer beyond 64 bits
        return MISS
    if strict and isinstance(value, dict | list):
        if "\\" in text or _BLANK_BEFORE_COLON.search(text) is not None:
            if _STRING.findall(text).count(":") != _count_keys(value):
                return MISS
        elif text.count('":') != out.count(b'":'):
            return MISS
    return value


def dumps(value: object) -> str | None:
    """Write ``value`` compactly with ``orjson``, or return ``None`` to leave it to the stdlib."""
    if _orjson is None:
        return None
    try:
        out: bytes = _orjson.dumps(value, option=_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError too: unknown types, huge integers, depth
        return None
    if b"null" in out:  # maybe a NaN or an infinity, which orjson writes as null
        return None
    return out.decode()


@contextmanager
def use(flag: bool) -> Iterator[None]:
    """Switch ``orjson`` on or off inside the block (for tests and benchmarks)."""
    global enabled  # noqa: PLW0603 - one process-wide switch, restored on exit
    before = enabled
    enabled = flag and AVAILABLE
    try:
        yield
    finally:
        enabled = before
