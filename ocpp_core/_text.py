"""Bounded renderings of values for error texts, and JSON paths.

Every error text that quotes a peer's value goes through :func:`show` (or
:func:`clip` for text that is already a string of ours), so no error message
echoes a large input in full, and :func:`json_path` writes every JSON path the
library reports (``$.meterValue[0].timestamp``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Final

__all__ = ["ECHO_LENGTH", "clip", "json_path", "show"]

ECHO_LENGTH: Final = 40
"""How many characters of a peer's value an error text quotes at most."""


def clip(text: str, limit: int = ECHO_LENGTH) -> str:
    """Return ``text`` cut to at most ``limit`` characters, ending in ``...`` when cut.

    >>> clip("abcdefgh", 6)
    'abc...'
    """
    return text if len(text) <= limit else text[: max(limit - 3, 0)] + "..."


def show(value: object, limit: int = ECHO_LENGTH) -> str:
    r"""Name a JSON value for an error text without echoing much of it.

    Scalars are written as JSON (strings quoted, ASCII only, cut to ``limit``);
    objects and arrays only by their type.

    >>> show("a\u00fc"), show(None), show(True), show([1]), show({"a": 1})
    ('"a\\u00fc"', 'null', 'true', 'an array', 'an object')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and value.bit_length() > 128:
        # repr of a huge integer is long, and past 4300 digits it raises.
        return f"an integer of {value.bit_length()} bits"
    if isinstance(value, int | float):
        return clip(repr(value), limit)
    if isinstance(value, str):
        return _quoted(value, limit)
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    return f"a {type(value).__name__}"


def _quoted(text: str, limit: int) -> str:
    r"""``text`` as an ASCII JSON string of at most ``limit`` characters between its quotes.

    Escapes (``\u001f``, ``\ud800\udc00``) count at their escaped length
    and are never cut in half; only the first ``limit`` characters are ever
    escaped, so the cost does not grow with ``text``.
    """
    pieces = [json.dumps(char, ensure_ascii=True)[1:-1] for char in text[: limit + 1]]
    if sum(map(len, pieces)) <= limit and len(text) <= limit:
        return '"' + "".join(pieces) + '"'
    kept: list[str] = []
    room = max(limit - 3, 0)
    for piece in pieces:
        if len(piece) > room:
            break
        kept.append(piece)
        room -= len(piece)
    return '"' + "".join(kept) + '..."'


def json_path(path: Sequence[str | int]) -> str:
    """Return the JSON path of ``path``'s keys and indexes, root first.

    >>> json_path(["meterValue", 0, "timestamp"])
    '$.meterValue[0].timestamp'
    """
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out
