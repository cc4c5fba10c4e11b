"""The ``ocpp-core`` command: one module per subcommand, the parser and :func:`main` here.

Each command module exposes ``register(subparsers) -> None``, which adds its
subparser(s) and gives each a ``func`` default: a callable taking the parsed
arguments and returning the exit status. :func:`main` parses, calls ``func``
and returns its status; it never lets a traceback out for a usage error.

To add a command ``foo``: write ``ocpp_core/_cli/foo.py`` with ``register``,
then add one import line and one ``foo.register(subparsers)`` line below, in
:data:`_COMMANDS`. The commands:

* ``check`` (:mod:`ocpp_core._cli.check`): check a log of OCPP-J frames by
  replaying it (:mod:`ocpp_core._cli._replay`) through a session per role.
* ``schedule`` (:mod:`ocpp_core._cli.schedule`): a composite charging schedule
  from a scenario file.
* ``transactions`` (:mod:`ocpp_core._cli.transactions`): every transaction of a
  log rebuilt through the delivery ledger, with its energy and anomalies.
* ``plan`` (:mod:`ocpp_core._cli.plan`): plan a site's charging from a site file
  and print the SetChargingProfile requests per station.

This package is the only hand-written part of ``ocpp_core`` besides
``ocpp_core.aio`` and ``ocpp_core.codegen`` that touches files and streams.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
from collections.abc import Callable, Sequence

from ocpp_core import __version__
from ocpp_core._cli import check, plan, schedule, transactions

__all__ = ["main"]

_PROG = "ocpp-core"

_COMMANDS = (
    check,
    schedule,
    transactions,
    plan,
)
"""The command modules, in the order of the help text; each has ``register(subparsers)``."""


class _OneLineCommands(argparse.HelpFormatter):
    """Help that lists each command and its help on one line.

    argparse measures the commands one indentation level less deep than it
    prints them, so a long command name pushes its help to the next line;
    this counts them at the depth they are printed, on a line at least 100
    characters wide.
    """

    def __init__(self, prog: str) -> None:
        width = max(100, shutil.get_terminal_size().columns)
        super().__init__(prog, max_help_position=32, width=width)

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        if isinstance(action, argparse._SubParsersAction):
            for choice in action.choices:
                needed = len(choice) + self._current_indent + 2 * self._indent_increment
                self._action_max_length = max(self._action_max_length, needed)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=_PROG,
        description="Tools for OCPP: one command per task, each listed below in one line.",
        formatter_class=_OneLineCommands,
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}", help="print the version"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in _COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``ocpp-core`` command and return its exit status.

    Args:
        argv: the arguments after the program name; ``None`` reads ``sys.argv``.

    Returns:
        The exit status of the command (for ``check``: 0 nothing invalid,
        1 anything invalid), 2 on a usage error.
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # usage errors and --help
        return exc.code if isinstance(exc.code, int) else 2
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        parser.print_usage(sys.stderr)
        print(f"{_PROG}: error: a command is required", file=sys.stderr)
        return 2
    try:
        return func(args)
    except BrokenPipeError:  # e.g. piped into `head`; nothing more can be printed
        # Point stdout at /dev/null so that the interpreter's final flush is quiet.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
