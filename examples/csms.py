"""A small CSMS on ``ocpp_core.aio``: ``python examples/csms.py --port 9000`` (see ``--help``).

Answers boot, heartbeat, authorize, status, meter values and transactions of 1.6 and 2.0.1
stations; limits each new transaction (SetChargingProfile) and asks for the composite schedule.
``--security-profile 2|3`` with ``--cert``/``--key`` (and ``--ca``, ``--organization`` for 3)
serves ``wss://`` (see docs/howto-security-profiles.md).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import ssl
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from ocpp_core import OcppVersion, v16, v201
from ocpp_core import smart_charging as sc
from ocpp_core.aio import Context, Router, log_frames
from ocpp_core.aio.websockets import Handshake, serve
from ocpp_core.errors import OcppError

router = Router()
transaction_ids = itertools.count(1)
ACCEPTED_16 = v16.IdTagInfo(status=v16.AuthorizationStatus.ACCEPTED)
ACCEPTED_201 = v201.IdTokenInfo(status=v201.AuthorizationStatusEnum.ACCEPTED)
for request_type, answer in {  # requests answered without looking at them
    v16.HeartbeatRequest: lambda: v16.HeartbeatResponse(current_time=now()),
    v16.AuthorizeRequest: lambda: v16.AuthorizeResponse(id_tag_info=ACCEPTED_16),
    v16.StatusNotificationRequest: v16.StatusNotificationResponse,
    v16.MeterValuesRequest: v16.MeterValuesResponse,
    v16.StopTransactionRequest: lambda: v16.StopTransactionResponse(id_tag_info=ACCEPTED_16),
    v201.HeartbeatRequest: lambda: v201.HeartbeatResponse(current_time=now()),
    v201.AuthorizeRequest: lambda: v201.AuthorizeResponse(id_token_info=ACCEPTED_201),
    v201.StatusNotificationRequest: v201.StatusNotificationResponse,
    v201.MeterValuesRequest: v201.MeterValuesResponse,
}.items():
    router.register(request_type, lambda request, context, answer=answer: answer())


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


async def limit(context: Context, evse_id: int, transaction_id: int | str) -> None:
    """Limit a new transaction to 16 A, then ask the station for its composite schedule."""
    period = sc.SchedulePeriod(start_period=0, limit=16.0)
    schedule = sc.ChargingSchedule(id=1, charging_rate_unit="A", periods=(period,))
    profile = sc.ChargingProfile(
        id=next(transaction_ids),
        stack_level=0,
        purpose="TxProfile",
        kind="Relative",
        schedules=(schedule,),
        transaction_id=transaction_id,
    )
    request = sc.ChargingProfileRequest(evse_id=evse_id, profile=profile)
    await context.call(sc.set_charging_profile_to_ocpp(request, context.version))
    if context.version is OcppVersion.V16:
        composite = v16.GetCompositeScheduleRequest(connector_id=evse_id, duration=3600)
    else:
        composite = v201.GetCompositeScheduleRequest(evse_id=evse_id, duration=3600)
    logging.info("%s: %s", context.identity, await context.call(composite))


# --- OCPP 1.6 ---------------------------------------------------------------------------


@router.on(v16.BootNotificationRequest)
def boot_16(request: v16.BootNotificationRequest, context: Context) -> object:
    status = v16.RegistrationStatus.ACCEPTED
    return v16.BootNotificationResponse(status=status, current_time=now(), interval=300)


@router.on(v16.StartTransactionRequest)
def start_16(request: v16.StartTransactionRequest, context: Context) -> object:
    transaction_id = next(transaction_ids)
    context.spawn(limit(context, request.connector_id, transaction_id))
    return v16.StartTransactionResponse(id_tag_info=ACCEPTED_16, transaction_id=transaction_id)


# --- OCPP 2.0.1 -------------------------------------------------------------------------


@router.on(v201.BootNotificationRequest)
def boot_201(request: v201.BootNotificationRequest, context: Context) -> object:
    status = v201.RegistrationStatusEnum.ACCEPTED
    return v201.BootNotificationResponse(status=status, current_time=now(), interval=300)


@router.on(v201.TransactionEventRequest)
def transaction_201(request: v201.TransactionEventRequest, context: Context) -> object:
    if request.event_type is v201.TransactionEventEnum.STARTED:
        evse_id = 1 if request.evse is None else request.evse.id
        context.spawn(limit(context, evse_id, request.transaction_info.transaction_id))
    token_info = None if request.id_token is None else ACCEPTED_201
    return v201.TransactionEventResponse(id_token_info=token_info)


# --- the server -------------------------------------------------------------------------


def security_options(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> tuple[ssl.SSLContext | None, Callable[[Handshake], bool] | None]:
    """The TLS context and the accept hook for ``--security-profile`` (ocpp_core.security)."""
    profile = args.security_profile
    if profile is None:
        return None, None
    if profile in (1, 2) and not args.password:
        parser.error(f"--security-profile {profile} needs --password")
    if profile == 1:
        return None, None
    if not (args.cert and args.key):
        parser.error(f"--security-profile {profile} needs --cert and --key")
    if profile == 3 and not args.ca:
        parser.error("--security-profile 3 needs --ca (the roots of station certificates)")
    from ocpp_core.security import check_station_certificate, csms_ssl_context

    roots = Path(args.ca).read_bytes() if profile == 3 else None
    # One context for both versions served: 1.6 and 2.0.1 ask the same of TLS.
    context = csms_ssl_context(profile, "2.0.1", client_roots=roots)
    context.load_cert_chain(args.cert, args.key)
    if profile == 2:
        return context, None

    def accept(handshake: Handshake) -> bool:
        """Profile 3: the client certificate must name this station (A00.FR.404/405)."""
        try:
            check_station_certificate(
                handshake.peer_certificate or b"",
                identity=handshake.identity,
                organization=args.organization,
            )
        except OcppError as exc:
            logging.warning("refused %s: %s", handshake.identity, exc)
            return False
        return True

    return context, accept


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000, help="0 picks a free port")
    parser.add_argument("--once", action="store_true", help="stop when the first station leaves")
    parser.add_argument("--password", help="require HTTP Basic authentication (profile 1)")
    parser.add_argument("--timeout", type=float, help="stop after this many seconds")
    parser.add_argument(
        "--security-profile",
        type=int,
        choices=[1, 2, 3],
        help="1: Basic auth over ws://; 2: TLS + Basic auth; 3: TLS + client certificates",
    )
    parser.add_argument("--cert", help="profiles 2, 3: the CSMS certificate chain (PEM file)")
    parser.add_argument("--key", help="profiles 2, 3: the CSMS private key (PEM file)")
    parser.add_argument("--ca", help="profile 3: the roots of station certificates (PEM file)")
    parser.add_argument(
        "--organization", help="profile 3: the operator name station certificates carry in O"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="# %(message)s")
    log_frames(sys.stdout)
    done = asyncio.Event()
    tls, accept = security_options(parser, args)
    password = args.password if args.security_profile != 3 else None
    async with serve(
        host=args.host,
        port=args.port,
        router=router,
        password=None if password is None else (lambda identity: password),
        on_close=(lambda connection: done.set()) if args.once else None,
        ssl=tls,
        accept=accept,
    ) as server:
        scheme = "ws" if tls is None else "wss"
        print(f"# listening on {scheme}://{args.host}:{server.port}/", flush=True)
        try:
            await asyncio.wait_for(done.wait(), args.timeout)
        except TimeoutError:
            logging.info("timeout: stopping")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
