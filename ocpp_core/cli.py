"""The ``ocpp-core`` command.

Subcommands:

* ``ocpp-core check LOG``: check a log of OCPP-J frames, one per line, by
  replaying it through a session per role under its OCPP version (given with
  ``--version`` or detected). The logic is :func:`ocpp_core._check.check_lines`;
  this module reads the file, line by line with a bound on each line, and
  prints. See ``docs/cli.md``.
* the commands of :mod:`ocpp_core._schedule_cli`, when that module is present:
  it provides ``register(subparsers)``, which adds its subparsers and gives
  each a ``func`` default: a callable taking the parsed arguments and
  returning the exit status.

Exit status of ``check``: 0 when no line is invalid, 1 when any is (warnings
do not count), 2 on a usage or file error (missing or unreadable file, not
UTF-8), reported in one line on standard error, never as a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import BinaryIO

from ocpp_core._check import (
    MAX_LINE_BYTES,
    LongLine,
    Report,
    check_lines,
    format_text,
    report_to_json,
)
from ocpp_core._runtime import DecodeOptions
from ocpp_core.versions import OcppVersion

__all__ = ["main"]

_PROG = "ocpp-core"


class _FileError(Exception):
    """The log cannot be read as a text file (exit status 2)."""


def _version(text: str) -> OcppVersion:
    try:
        return OcppVersion.parse(text)
    except ValueError:
        known = ", ".join(v.value for v in OcppVersion)
        raise argparse.ArgumentTypeError(
            f"unknown OCPP version {text[:20]!r} (known: {known})"
        ) from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text[:20]!r}")
    return value


def _read_lines(stream: BinaryIO, limit: int) -> Iterator[str | LongLine]:
    """Yield the decoded lines of ``stream``; a line over ``limit`` bytes as :class:`LongLine`.

    Never holds more than ``limit + 1`` bytes of one line.

    Raises:
        _FileError: a line is not valid UTF-8.
    """
    number = 0
    while True:
        chunk = stream.readline(limit + 1)
        if not chunk:
            return
        number += 1
        if len(chunk) > limit and not chunk.endswith(b"\n"):
            length = len(chunk)
            while chunk and not chunk.endswith(b"\n"):
                chunk = stream.readline(1 << 16)
                length += len(chunk)
            yield LongLine(length=length - (1 if chunk.endswith(b"\n") else 0))
            continue
        try:
            yield chunk.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _FileError(
                f"line {number} is not valid UTF-8 (byte {exc.start + 1} of the line)"
            ) from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(
            f"expected a positive number of seconds, got {text[:20]!r}"
        )
    return value


def _check(args: argparse.Namespace) -> int:
    options = DecodeOptions.lenient() if args.lenient else None
    name: str = args.log

    def check(stream: BinaryIO) -> Report:
        return check_lines(
            _read_lines(stream, args.max_line_bytes),
            version=args.ocpp_version,
            options=options,
            max_problems=args.max_problems,
            timeout=args.timeout,
        )

    try:
        if name == "-":
            report = check(sys.stdin.buffer)
            name = "<stdin>"
        else:
            with open(name, "rb") as stream:
                report = check(stream)
    except _FileError as exc:
        print(f"{_PROG} check: {name}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        print(f"{_PROG} check: cannot read {name}: {reason}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(report_to_json(report), indent=2, ensure_ascii=False))
    else:
        for text in format_text(report, name):
            print(text)
    return 0 if report.ok else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=_PROG, description="Tools for OCPP messages: check logs of OCPP-J frames."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    check = subparsers.add_parser(
        "check",
        help="check a log of OCPP-J frames against the OCPP schemas",
        description=(
            "Check a log with one OCPP-J frame per line, each optionally preceded by a "
            "timestamp and a direction marker (> < -> <- send recv CS->CSMS ...), by "
            "replaying it through a session per role. Blank lines and # comments are "
            "ignored. Exit status: 0 nothing invalid, 1 anything invalid, 2 usage or "
            "file error."
        ),
    )
    check.add_argument("log", metavar="LOG", help="the log file ('-' for standard input)")
    check.add_argument(
        "--version",
        dest="ocpp_version",
        type=_version,
        default=None,
        metavar="VERSION",
        help="OCPP version: 1.6, 2.0, 2.0.1 or 2.1 (default: detect from the log)",
    )
    check.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    check.add_argument(
        "--lenient",
        action="store_true",
        help="accept the field departures of DecodeOptions.lenient() (null for absent, ...)",
    )
    check.add_argument(
        "--max-line-bytes",
        type=_positive,
        default=MAX_LINE_BYTES,
        metavar="N",
        help=f"longer lines are reported as too large (default: {MAX_LINE_BYTES})",
    )
    check.add_argument(
        "--max-problems",
        type=_positive,
        default=10_000,
        metavar="N",
        help="list at most N problems; the rest are counted (default: 10000)",
    )
    check.add_argument(
        "--timeout",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="report answers that come later than this after their CALL, by the "
        "lines' timestamps (default: no timeout)",
    )
    check.set_defaults(func=_check)
    try:
        # Optional, written separately; imported by name so that its absence
        # is no type error.
        schedule_cli = importlib.import_module("ocpp_core._schedule_cli")
    except ModuleNotFoundError as exc:
        if exc.name != "ocpp_core._schedule_cli":
            raise  # the module is there but one of its imports is missing
    else:
        schedule_cli.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``ocpp-core`` command and return its exit status.

    Args:
        argv: the arguments after the program name; ``None`` reads ``sys.argv``.

    Returns:
        The exit status: for ``check``, 0 nothing invalid, 1 anything invalid,
        2 usage or file error.
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
