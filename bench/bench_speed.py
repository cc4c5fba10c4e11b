"""The ``speed`` extra: frames parsed and written with and without ``orjson``, side by side.

Run: ``python bench/bench_speed.py`` (needs ``orjson``, the ``speed`` extra).

For each frame of the corpus (``bench/corpus.py``), in one run, interleaved
round by round so that machine noise hits every column alike:

* ``parse``: :func:`ocpp_core.rpc.parse_frame` of the frame text (envelope
  checks, duplicate keys refused, depth bound) with the standard library and
  with ``orjson``, beside bare ``json.loads`` and ``orjson.loads``;
* ``write``: ``encode_payload`` of the typed message and
  :func:`ocpp_core.rpc.serialize_frame` of the frame, with the standard library
  and with ``orjson``, beside bare ``json.dumps`` of the payload dict;
* ``session``: a whole CALL through the session, ``Session.receive`` of the
  CALL text and ``Session.send_result`` of a prebuilt typed response (text in,
  answer text out), with the standard library and with ``orjson``.

Each column's time is its fastest of the interleaved rounds (on a shared
machine other work only adds time); ratios are of corpus-mean times per
frame. Nothing is asserted on timings.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import ROUNDS, calibrate, timed
from bench_session import RESPONSES
from corpus import CORPUS

from ocpp_core import _fastjson, actions, decode_payload, encode_payload
from ocpp_core.rpc import Call, CallReceived, CallResult, Session, parse_frame, serialize_frame

try:
    import orjson
except ImportError:  # pragma: no cover
    sys.exit("bench_speed needs orjson: pip install 'ocpp-core[speed]'")


def frames(version: str) -> list[tuple[str, str, Any, dict[str, Any], Any]]:
    """(text, action, typed message, payload, frame) for every corpus entry."""
    out = []
    for n, (action, kind, payload) in enumerate(CORPUS[version]):
        message = decode_payload(version, action, kind, payload)
        frame: Any = (
            Call(unique_id=f"id-{n}", action=action, payload=payload)
            if kind == "request"
            else CallResult(unique_id=f"id-{n}", payload=payload)
        )
        out.append((serialize_frame(frame), action, message, payload, frame))
    return out


def measure(columns: dict[str, Callable[[], Any]]) -> dict[str, float]:
    """Time per call of each column; a name ending in "orjson" runs with it on."""
    loops = {}
    for name, fn in columns.items():
        with _fastjson.use(name.endswith("orjson")):
            loops[name] = calibrate(fn)
    samples: dict[str, list[float]] = {name: [] for name in columns}
    for _ in range(ROUNDS):
        for name, fn in columns.items():
            with _fastjson.use(name.endswith("orjson")):
                samples[name].append(timed(fn, loops[name]))
    # The fastest round: on a shared machine other work only ever adds time.
    return {name: min(values) for name, values in samples.items()}


def session_round_trip(version: str, text: str, action: str, response: Any) -> Callable[[], Any]:
    receiver = next(iter(actions(version)[action].senders)).peer

    def run() -> str:
        session = Session(version, receiver)
        [event] = session.receive(text, 0.0)
        assert isinstance(event, CallReceived)
        return session.send_result(event, response)

    return run


def main() -> None:
    print(f"orjson {orjson.__version__}; corpus-mean microseconds per frame, ratios side by side")
    for version in ("1.6", "2.0.1"):
        corpus = frames(version)
        totals: dict[str, float] = {}
        counts: dict[str, int] = {}
        for text, action, message, payload, frame in corpus:

            def parse(text: str = text, version: str = version) -> Any:
                return parse_frame(text, version)

            def write(message: Any = message, frame: Any = frame) -> str:
                return serialize_frame(with_payload(frame, encode_payload(message)))

            columns: dict[str, Callable[[], Any]] = {
                "json.loads": lambda text=text: json.loads(text),
                "orjson.loads": lambda text=text: orjson.loads(text),
                "parse stdlib": parse,
                "parse orjson": parse,
                "json.dumps": lambda payload=payload: json.dumps(payload),
                "write stdlib": write,
                "write orjson": write,
            }
            if isinstance(frame, Call) and action in RESPONSES[version]:
                response = decode_payload(version, action, "response", RESPONSES[version][action])
                trip = session_round_trip(version, text, action, response)
                columns["session stdlib"] = columns["session orjson"] = trip
            for name, value in measure(columns).items():
                totals[name] = totals.get(name, 0.0) + value
                counts[name] = counts.get(name, 0) + 1
        us = {name: totals[name] / counts[name] * 1e6 for name in totals}
        print(f"\nOCPP {version} ({len(corpus)} frames)")
        for name in sorted(us):
            print(f"  {name:<14} {us[name]:8.2f} us")
        print(
            f"  parse:   orjson/stdlib {us['parse orjson'] / us['parse stdlib']:.2f}x"
            f"   (stdlib {us['parse stdlib'] / us['json.loads']:.2f}x json.loads,"
            f" orjson {us['parse orjson'] / us['json.loads']:.2f}x json.loads)"
        )
        print(
            f"  write:   orjson/stdlib {us['write orjson'] / us['write stdlib']:.2f}x"
            f"   (stdlib {us['write stdlib'] / us['json.dumps']:.2f}x json.dumps,"
            f" orjson {us['write orjson'] / us['json.dumps']:.2f}x json.dumps)"
        )
        print(f"  session: orjson/stdlib {us['session orjson'] / us['session stdlib']:.2f}x")


def with_payload(frame: Any, payload: dict[str, Any]) -> Any:
    if isinstance(frame, Call):
        return Call(unique_id=frame.unique_id, action=frame.action, payload=payload)
    return CallResult(unique_id=frame.unique_id, payload=payload)


if __name__ == "__main__":
    main()
