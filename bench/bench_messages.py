"""Decode and encode speed against bare json and against the ``ocpp`` package.

Run: ``python bench/bench_messages.py`` (needs the ``bench`` extra for the
``ocpp`` package; without it the comparison with ``ocpp`` is left out).

For each frame of the corpus (``bench/corpus.py``), in one run and
interleaved round by round so machine noise hits every column alike:

* ``loads``: ``json.loads`` of the frame text (the floor for decoding);
* ``decode``: ``json.loads`` + :func:`ocpp_core.decode_payload` (text -> typed);
* ``dumps``: ``json.dumps`` of the frame with its wire payload (the floor for encoding);
* ``encode``: :func:`ocpp_core.encode_payload` + ``json.dumps`` (typed -> text);
* ``ocpp in``: the ``ocpp`` package's ``unpack`` + its schema validation;
* ``ocpp out``: its dataclass -> dict -> camelCase -> validated frame text,
  the steps its ``ChargePoint.call`` takes.

Ratios are of corpus-mean times per message. Targets: decode within 3x of
loads, encode within 2x of dumps, at least 5x ``ocpp in`` and 10x ``ocpp out``
throughput.

``--min`` takes the fastest of the rounds instead of the median, the
estimator to use on a busy machine (other processes only ever add time);
``--rounds N`` sets the number of rounds.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import ROUNDS, calibrate, timed
from corpus import CORPUS

import ocpp_core


def _ocpp_ops(
    version: str, action: str, kind: str, frame_text: str, payload: dict[str, Any]
) -> tuple[Callable[[], Any], Callable[[], Any]] | None:
    try:
        from ocpp.charge_point import (
            camel_to_snake_case,
            remove_nones,
            serialize_as_dict,
            snake_to_camel_case,
        )
        from ocpp.messages import Call, CallResult, _validate_payload, unpack
    except ImportError:
        return None
    pkg = {"1.6": "v16", "2.0.1": "v201"}[version]
    module = __import__(
        f"ocpp.{pkg}.{'call' if kind == 'request' else 'call_result'}", fromlist=["x"]
    )
    dataclass = getattr(module, action)(**camel_to_snake_case(payload))

    def incoming() -> None:
        msg = unpack(frame_text)
        if kind == "response":
            msg.action = action
        _validate_payload(msg, version)

    def outgoing() -> str:
        wire = remove_nones(snake_to_camel_case(serialize_as_dict(dataclass)))
        msg = (
            Call("19223201", action, wire)
            if kind == "request"
            else CallResult("19223201", wire, action)
        )
        _validate_payload(msg, version)
        return str(msg.to_json())

    incoming()
    outgoing()
    return incoming, outgoing


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    use_min = "--min" in args
    rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else ROUNDS
    pick = min if use_min else statistics.median
    print(
        f"ocpp_core {ocpp_core.__version__}, Python {sys.version.split()[0]}, {rounds} rounds, "
        f"{'fastest' if use_min else 'median'} per message (us)"
    )
    summary: dict[str, dict[str, list[float]]] = {}
    for version, entries in CORPUS.items():
        ops: list[tuple[str, dict[str, Callable[[], Any]]]] = []
        for action, kind, payload in entries:
            frame = (
                [2, "19223201", action, payload] if kind == "request" else [3, "19223201", payload]
            )
            text = json.dumps(frame, separators=(",", ":"))
            index = 3 if kind == "request" else 2
            message = ocpp_core.decode_payload(version, action, kind, payload)
            assert (
                ocpp_core.decode_payload(version, action, kind, ocpp_core.encode_payload(message))
                == message
            )
            assert not ocpp_core.validate_payload(version, action, kind, payload)

            def decode(
                text: str = text,
                action: str = action,
                kind: str = kind,
                index: int = index,
                version: str = version,
            ) -> Any:
                return ocpp_core.decode_payload(version, action, kind, json.loads(text)[index])

            def encode(message: Any = message, action: str = action, kind: str = kind) -> str:
                body = ocpp_core.encode_payload(message)
                frame = (
                    [2, "19223201", action, body] if kind == "request" else [3, "19223201", body]
                )
                return json.dumps(frame, separators=(",", ":"))

            table: dict[str, Callable[[], Any]] = {
                "loads": lambda text=text: json.loads(text),
                "decode": decode,
                "dumps": lambda frame=frame: json.dumps(frame, separators=(",", ":")),
                "encode": encode,
            }
            peer = _ocpp_ops(version, action, kind, text, payload)
            if peer is not None:
                table["ocpp in"], table["ocpp out"] = peer
            ops.append((f"{action} {kind}", table))
        counts = {(name, col): calibrate(fn) for name, table in ops for col, fn in table.items()}
        samples: dict[tuple[str, str], list[float]] = {key: [] for key in counts}
        for _ in range(rounds):
            for name, table in ops:
                for col, fn in table.items():
                    samples[(name, col)].append(timed(fn, counts[(name, col)]))
        columns = list(ops[0][1])
        print(f"\nOCPP {version}")
        print(f"{'message':38}" + "".join(f"{c:>11}" for c in columns))
        means: dict[str, list[float]] = {c: [] for c in columns}
        for name, _table in ops:
            row = f"{name:38}"
            for col in columns:
                median = pick(samples[(name, col)]) * 1e6
                means[col].append(median)
                row += f"{median:11.1f}"
            print(row)
        summary[version] = means
        mean = {c: statistics.fmean(v) for c, v in means.items()}
        print(f"{'corpus mean':38}" + "".join(f"{mean[c]:11.1f}" for c in columns))
        print(
            f"  decode / loads   = {mean['decode'] / mean['loads']:.2f}x  (target <= 3, at most 4)"
        )
        print(
            f"  encode / dumps   = {mean['encode'] / mean['dumps']:.2f}x  (target <= 2, at most 3)"
        )
        if "ocpp in" in mean:
            print(
                f"  ocpp in / decode = {mean['ocpp in'] / mean['decode']:.1f}x throughput (target >= 5)"
            )
            print(
                f"  ocpp out / encode = {mean['ocpp out'] / mean['encode']:.1f}x throughput (target >= 10)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
