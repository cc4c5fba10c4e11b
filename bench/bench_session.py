"""A whole CALL handled through the session, against the ``ocpp`` package's ``route_message``.

Run: ``python bench/bench_session.py`` (needs the ``bench`` extra for the
``ocpp`` package; without it only our column is printed).

For each CALL of the corpus (``bench/corpus.py``), in one run and interleaved
round by round so that machine noise hits both columns alike:

* ``session``: :meth:`ocpp_core.rpc.Session.receive` of the CALL text (frame
  parsing, direction check, one-pass payload decoding into the typed request),
  :meth:`ocpp_core.rpc.Dispatcher.dispatch` to a handler that returns a
  prebuilt typed response, and :meth:`~ocpp_core.rpc.Session.send_result`
  (encoding and serialising the CALLRESULT): text in, answer text out;
* ``ocpp``: ``ChargePoint.route_message`` of the same text with a trivial
  ``@on`` handler returning a prebuilt ``call_result`` dataclass and an
  in-memory connection, with ``ASYNC_VALIDATION = False`` (its fastest
  setting): unpack, schema validation, case conversion, the handler, response
  serialisation and validation, ``to_json``. The timing loop runs inside one
  coroutine, so no event-loop scheduling is counted.

Both sides answer every CALL with a CALLRESULT (checked before timing).
Ratios are of corpus-mean times per call; the target is at least 5x the
throughput of ``ocpp``. Nothing is asserted on the timings.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import ROUNDS, TARGET_SECONDS, calibrate, timed
from corpus import CORPUS

import ocpp_core
from ocpp_core import Role
from ocpp_core.rpc import CallReceived, Dispatcher, Session

TS = "2026-03-14T09:26:53Z"

# A valid response payload for each CALL of the corpus.
RESPONSES: dict[str, dict[str, dict[str, Any]]] = {
    "1.6": {
        "BootNotification": {"status": "Accepted", "currentTime": TS, "interval": 300},
        "Authorize": {"idTagInfo": {"status": "Accepted", "expiryDate": TS}},
        "StartTransaction": {"idTagInfo": {"status": "Accepted"}, "transactionId": 1234},
        "MeterValues": {},
        "StatusNotification": {},
        "SetChargingProfile": {"status": "Accepted"},
        "Heartbeat": {"currentTime": TS},
        "DataTransfer": {"status": "Accepted", "data": "ok"},
    },
    "2.0.1": {
        "BootNotification": {"currentTime": TS, "interval": 300, "status": "Accepted"},
        "Authorize": {"idTokenInfo": {"status": "Accepted", "cacheExpiryDateTime": TS}},
        "TransactionEvent": {"idTokenInfo": {"status": "Accepted"}, "chargingPriority": 0},
        "MeterValues": {},
        "StatusNotification": {},
        "SetChargingProfile": {"status": "Accepted"},
        "Heartbeat": {"currentTime": TS},
        "DataTransfer": {"status": "Accepted", "data": {"ok": True}},
    },
}


def session_op(version: str, action: str, payload: dict[str, Any]) -> Callable[[], str]:
    """Receive, decode, dispatch and answer one CALL through a session."""
    info = ocpp_core.actions(version)[action]
    # The session plays the side that receives this action.
    role = Role.CSMS if Role.CHARGING_STATION in info.senders else Role.CHARGING_STATION
    session = Session(version, role, remember=1)
    response = ocpp_core.decode_payload(version, action, "response", RESPONSES[version][action])
    dispatcher = Dispatcher()
    dispatcher.register(info.request, lambda request: response)
    # Two ids in turn, so that no CALL reuses the id of the one just answered.
    texts = [json.dumps([2, uid, action, payload], separators=(",", ":")) for uid in ("a1", "b2")]
    turn = [0]

    def handle() -> str:
        turn[0] ^= 1
        events = session.receive(texts[turn[0]], 0.0)
        event = events[0]
        assert type(event) is CallReceived
        return dispatcher.dispatch(session, event)

    answer = json.loads(handle())
    assert answer[0] == 3, answer
    return handle


class _Connection:
    """An in-memory connection for ``ocpp``'s ChargePoint."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, text: str) -> None:
        self.sent.append(text)

    async def recv(self) -> str:  # pragma: no cover - never called
        raise RuntimeError


def ocpp_op(
    version: str, action: str, payload: dict[str, Any], loop: asyncio.AbstractEventLoop
) -> Callable[[int], float] | None:
    """``ChargePoint.route_message`` of the same CALL, timed inside one coroutine."""
    try:
        from ocpp import messages
        from ocpp.charge_point import camel_to_snake_case
        from ocpp.routing import on
    except ImportError:
        return None
    messages.ASYNC_VALIDATION = False
    package = {"1.6": "v16", "2.0.1": "v201"}[version]
    base = __import__(f"ocpp.{package}", fromlist=["ChargePoint"]).ChargePoint
    results = __import__(f"ocpp.{package}.call_result", fromlist=["x"])
    response = getattr(results, action)(**camel_to_snake_case(RESPONSES[version][action]))

    def handler(self: Any, **kwargs: Any) -> Any:
        return response

    handler.__name__ = f"on_{action}"
    cls = type("BenchChargePoint", (base,), {f"on_{action}": on(action)(handler)})
    connection = _Connection()
    charge_point = cls("CP_1", connection)
    text = json.dumps([2, "a1", action, payload], separators=(",", ":"))

    async def run(n: int) -> float:
        start = time.perf_counter()
        for _ in range(n):
            await charge_point.route_message(text)
        return (time.perf_counter() - start) / n

    loop.run_until_complete(run(1))
    answer = json.loads(connection.sent[-1])
    assert answer[0] == 3, answer
    connection.sent.clear()

    def timed_ocpp(n: int) -> float:
        result = loop.run_until_complete(run(n))
        connection.sent.clear()
        return result

    return timed_ocpp


def calibrate_ocpp(fn: Callable[[int], float]) -> int:
    n = 1
    while fn(n) * n < TARGET_SECONDS:
        n *= 2
    return n


def main() -> int:
    print(
        f"ocpp_core {ocpp_core.__version__}, Python {sys.version.split()[0]}, "
        f"{ROUNDS} rounds, median time per call (us)"
    )
    loop = asyncio.new_event_loop()
    ratios: list[float] = []
    try:
        for version, entries in CORPUS.items():
            rows: list[tuple[str, Callable[[], Any], int, Callable[[int], float] | None, int]] = []
            for action, kind, payload in entries:
                if kind != "request":
                    continue
                ours = session_op(version, action, payload)
                theirs = ocpp_op(version, action, payload, loop)
                rows.append(
                    (
                        action,
                        ours,
                        calibrate(ours),
                        theirs,
                        calibrate_ocpp(theirs) if theirs else 0,
                    )
                )
            samples: dict[str, tuple[list[float], list[float]]] = {r[0]: ([], []) for r in rows}
            for _ in range(ROUNDS):
                for action, ours, n_ours, theirs, n_theirs in rows:
                    samples[action][0].append(timed(ours, n_ours))
                    if theirs is not None:
                        samples[action][1].append(theirs(n_theirs))
            print(f"\nOCPP {version}: a CALL received, decoded, handled and answered")
            print(f"{'action':24}{'session':>11}{'ocpp':>11}{'ratio':>9}")
            mean_ours: list[float] = []
            mean_theirs: list[float] = []
            for action, *_ in rows:
                ours_us = statistics.median(samples[action][0]) * 1e6
                mean_ours.append(ours_us)
                line = f"{action:24}{ours_us:11.1f}"
                if samples[action][1]:
                    theirs_us = statistics.median(samples[action][1]) * 1e6
                    mean_theirs.append(theirs_us)
                    line += f"{theirs_us:11.1f}{theirs_us / ours_us:8.1f}x"
                print(line)
            ours_mean = statistics.fmean(mean_ours)
            line = f"{'corpus mean':24}{ours_mean:11.1f}"
            if mean_theirs:
                theirs_mean = statistics.fmean(mean_theirs)
                ratio = theirs_mean / ours_mean
                ratios.append(ratio)
                line += f"{theirs_mean:11.1f}{ratio:8.1f}x"
            print(line)
            if mean_theirs:
                print(f"  session throughput = {ratio:.1f}x that of ocpp (target >= 5)")
    finally:
        loop.close()
    if ratios:
        print(f"\nlowest ratio over the versions: {min(ratios):.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
