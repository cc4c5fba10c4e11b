"""Frame logging: a running connection's log passes ``ocpp-core check``."""

from __future__ import annotations

import asyncio
import io
import logging
from pathlib import Path
from typing import Any

import pytest

from ocpp_core import v201
from ocpp_core._cli import main as cli_main
from ocpp_core._cli.check import check_lines, format_text
from ocpp_core.aio import FRAME_LOGGER, Context, RemoteCallError, Router, log_frames
from ocpp_core.aio._logging import FrameFormatter, one_line
from tests.aio._support import connected, now_utc, run
from tests.aio.test_connection import BOOT, csms_router, station_router


def test_a_conversation_logged_by_the_csms_passes_the_checker(tmp_path: Path) -> None:
    stream = io.StringIO()
    handler = log_frames(stream, identity="CP_1")
    router = csms_router()

    @router.on(v201.StatusNotificationRequest)
    def status(request: Any, context: Context) -> Any:
        raise RuntimeError("answered InternalError")

    async def main() -> None:
        async with connected(csms_router=router, station_router=station_router()) as (
            csms,
            station,
        ):
            await station.call(BOOT)
            await asyncio.gather(
                station.call(v201.HeartbeatRequest()), csms.call(v201.ClearCacheRequest())
            )
            with pytest.raises(RemoteCallError):
                await station.call(
                    v201.StatusNotificationRequest(
                        timestamp=now_utc(),
                        connector_status=v201.ConnectorStatusEnum.AVAILABLE,
                        evse_id=1,
                        connector_id=1,
                    )
                )
            with pytest.raises(RemoteCallError):  # no handler: NotSupported
                await station.call(
                    v201.AuthorizeRequest(
                        id_token=v201.IdToken(id_token="T", type=v201.IdTokenEnum.ISO14443)
                    )
                )

    try:
        run(main)
    finally:
        FRAME_LOGGER.removeHandler(handler)
        FRAME_LOGGER.propagate = True
    text = stream.getvalue()
    lines = text.splitlines()
    assert len(lines) == 10  # 5 CALLs, 5 answers: one line per frame, the CSMS's view only
    assert all(" CS->CSMS [" in line or " CSMS->CS [" in line for line in lines)
    report = check_lines(lines, version="2.0.1")
    assert report.ok, "\n".join(format_text(report))
    assert (report.calls, report.results, report.errors) == (5, 3, 2)
    log = tmp_path / "csms.log"
    log.write_text(text)
    assert cli_main(["check", str(log)]) == 0


def test_one_line_keeps_the_meaning_of_frames_with_line_breaks() -> None:
    assert one_line('[2,"1",\n"Heartbeat",\r\n{}]') == '[2,"1", "Heartbeat",  {}]'
    broken = one_line('[2,"1","Heart\nbeat",{}]')  # a raw line break inside a string
    assert "\n" not in broken
    assert "\x01" in broken
    assert one_line(b'[3,"1",{}]') == '[3,"1",{}]'


def test_formatter_writes_other_records_as_comments() -> None:
    formatter = FrameFormatter()
    record = logging.LogRecord("ocpp_core.aio", logging.INFO, "", 0, "hello\nthere", (), None)
    line = formatter.format(record)
    assert line.startswith("# ")
    assert "\n" not in line
    frame = logging.LogRecord(
        FRAME_LOGGER.name, logging.DEBUG, "", 0, "%s %s", ("CS->CSMS", "[]"), None
    )
    assert formatter.format(frame).endswith("Z CS->CSMS []")


def test_frames_go_through_logging_with_identity_and_direction(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> None:
        async with connected(csms_router=Router()) as (_, station):
            with pytest.raises(RemoteCallError):
                await station.call(v201.HeartbeatRequest())

    with caplog.at_level(logging.DEBUG, logger=FRAME_LOGGER.name):
        run(main)
    frames = [r for r in caplog.records if r.name == FRAME_LOGGER.name]
    seen = {(r.ocpp_identity, r.ocpp_direction) for r in frames}
    assert seen == {
        ("CP_1", "sent"),
        ("CP_1", "received"),
        ("CP_1@station", "sent"),
        ("CP_1@station", "received"),
    }
