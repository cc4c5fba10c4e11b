"""A charging station on ``ocpp_core.aio`` that runs one whole charging session.

Run it against a CSMS (``examples/csms.py`` or any other)::

    python examples/charging_station.py --url ws://127.0.0.1:9000/CP_1 --version 2.0.1

It boots, sends a heartbeat, reports its connector available, authorises a
token, charges (1.6 StartTransaction, MeterValues, StopTransaction; 2.0.1
TransactionEvent Started/Updated/Ended and MeterValues), reports the
connector available again and disconnects. The CSMS's SetChargingProfile is
installed in the station-side smart-charging engine (``ProfileStore``, with
each version's acceptance rules) and its GetCompositeSchedule is answered from
that engine (``composite_schedule``). Every frame goes to stdout, one line
each, as ``ocpp-core check`` reads them.

It exits with status 0 when every CALL it sent got a CALLRESULT (and, with
``--require-profile``, a SetChargingProfile was installed), else 1.
``--timeout`` bounds the whole run. ``--security-profile 2|3`` with ``--ca`` (and
``--cert``/``--key`` for 3) connects over ``wss://`` (see docs/howto-security-profiles.md).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import ssl
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ocpp_core import OcppVersion, v16, v201
from ocpp_core import smart_charging as sc
from ocpp_core.aio import AioError, Context, Router, log_frames
from ocpp_core.aio.websockets import connect


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


ID_TAG = "04A2C93A7B5E81"


class Station:
    """The station's state, its smart-charging engine and the steps of one charging session."""

    def __init__(self, version: OcppVersion) -> None:
        self.connection: Any = None
        self.version = version
        self.store = sc.ProfileStore(version=version)
        self.transactions: list[sc.Transaction] = []
        self.profile_received = asyncio.Event()
        self.composite_answered = asyncio.Event()
        self.failures: list[str] = []
        self.energy = 1_000  # Wh on the meter

    def model(self) -> sc.Station:
        """The station as the smart-charging engine sees it: one EVSE, the transactions."""
        return sc.Station(evses=(sc.Evse(id=1),), transactions=tuple(self.transactions))

    async def call(self, message: Any) -> Any:
        try:
            return await self.connection.call(message, timeout=10.0)
        except AioError as exc:
            self.failures.append(f"{type(message).__name__}: {exc}")
            return None

    # --- smart charging, answered from the engine ---------------------------------------

    def router(self) -> Router:
        router = Router()
        if self.version is OcppVersion.V16:
            router.register(v16.SetChargingProfileRequest, self.set_profile)
            router.register(v16.GetCompositeScheduleRequest, self.composite)
            router.register(v16.RemoteStartTransactionRequest, self.remote_start)
        else:
            router.register(v201.SetChargingProfileRequest, self.set_profile)
            router.register(v201.GetCompositeScheduleRequest, self.composite)
        return router

    def set_profile(self, request: Any, context: Context) -> Any:
        neutral = sc.set_charging_profile_from_ocpp(request)
        result = self.store.install(neutral.profile, neutral.evse_id, self.model(), now=now_utc())
        self.store = result.store
        print(f"# SetChargingProfile: {result.validation.describe()}", file=sys.stderr)
        if result.validation.accepted:
            self.profile_received.set()
        return sc.set_charging_profile_response(result.validation, context.version)

    def composite(self, request: Any, context: Context) -> Any:
        evse_id = request.connector_id if context.version is OcppVersion.V16 else request.evse_id
        result = sc.composite_schedule(
            self.store,
            self.model(),
            evse_id,
            now_utc(),
            request.duration,
            request.charging_rate_unit,
        )
        self.composite_answered.set()
        return sc.composite_to_ocpp(result, context.version)

    def remote_start(self, request: Any, context: Context) -> Any:
        return v16.RemoteStartTransactionResponse(status=v16.RemoteStartStopStatus.REJECTED)

    def started(self, transaction_id: int | str) -> None:
        self.transactions.append(
            sc.Transaction(evse_id=1, started_at=now_utc(), transaction_id=transaction_id)
        )

    async def wait_for_profile(self, seconds: float) -> None:
        """Wait (bounded) for the CSMS's SetChargingProfile and GetCompositeSchedule."""
        try:
            async with asyncio.timeout(seconds):
                await self.profile_received.wait()
                await self.composite_answered.wait()
        except TimeoutError:
            print("# no SetChargingProfile and GetCompositeSchedule came", file=sys.stderr)

    # --- OCPP 1.6 ------------------------------------------------------------------------

    def status_16(self, status: v16.ChargePointStatus) -> v16.StatusNotificationRequest:
        return v16.StatusNotificationRequest(
            connector_id=1,
            error_code=v16.ChargePointErrorCode.NO_ERROR,
            status=status,
            timestamp=now_utc(),
        )

    def meter_16(self, context: v16.ReadingContext) -> v16.MeterValue:
        return v16.MeterValue(
            timestamp=now_utc(),
            sampled_value=(
                v16.SampledValue(
                    value=str(self.energy),
                    context=context,
                    measurand=v16.Measurand.ENERGY_ACTIVE_IMPORT_REGISTER,
                    unit=v16.UnitOfMeasure.WH,
                ),
                v16.SampledValue(
                    value="16.0",
                    measurand=v16.Measurand.CURRENT_IMPORT,
                    phase=v16.Phase.L1,
                    unit=v16.UnitOfMeasure.A,
                ),
            ),
        )

    async def run_16(self, profile_wait: float) -> None:
        boot = await self.call(
            v16.BootNotificationRequest(
                charge_point_vendor="ocpp_core", charge_point_model="example-station"
            )
        )
        if boot is None or boot.status is not v16.RegistrationStatus.ACCEPTED:
            self.failures.append("boot not accepted")
            return
        await self.call(v16.HeartbeatRequest())
        await self.call(self.status_16(v16.ChargePointStatus.AVAILABLE))
        authorized = await self.call(v16.AuthorizeRequest(id_tag=ID_TAG))
        if (
            authorized is None
            or authorized.id_tag_info.status is not v16.AuthorizationStatus.ACCEPTED
        ):
            self.failures.append("token not accepted")
            return
        await self.call(self.status_16(v16.ChargePointStatus.PREPARING))
        started = await self.call(
            v16.StartTransactionRequest(
                connector_id=1, id_tag=ID_TAG, meter_start=self.energy, timestamp=now_utc()
            )
        )
        if started is None:
            return
        self.started(started.transaction_id)
        await self.call(self.status_16(v16.ChargePointStatus.CHARGING))
        await self.wait_for_profile(profile_wait)
        for _ in range(2):
            self.energy += 250
            await self.call(
                v16.MeterValuesRequest(
                    connector_id=1,
                    transaction_id=started.transaction_id,
                    meter_value=(self.meter_16(v16.ReadingContext.SAMPLE_PERIODIC),),
                )
            )
        await self.call(
            v16.StopTransactionRequest(
                transaction_id=started.transaction_id,
                id_tag=ID_TAG,
                meter_stop=self.energy,
                timestamp=now_utc(),
                reason=v16.Reason.LOCAL,
            )
        )
        await self.call(self.status_16(v16.ChargePointStatus.FINISHING))
        await self.call(self.status_16(v16.ChargePointStatus.AVAILABLE))

    # --- OCPP 2.0.1 ----------------------------------------------------------------------

    def status_201(self, status: v201.ConnectorStatusEnum) -> v201.StatusNotificationRequest:
        return v201.StatusNotificationRequest(
            timestamp=now_utc(), connector_status=status, evse_id=1, connector_id=1
        )

    def meter_201(self, context: v201.ReadingContextEnum) -> v201.MeterValue:
        return v201.MeterValue(
            timestamp=now_utc(),
            sampled_value=(
                v201.SampledValue(
                    value=float(self.energy),
                    context=context,
                    measurand=v201.MeasurandEnum.ENERGY_ACTIVE_IMPORT_REGISTER,
                    unit_of_measure=v201.UnitOfMeasure(unit="Wh"),
                ),
                v201.SampledValue(
                    value=16.0,
                    context=context,
                    measurand=v201.MeasurandEnum.CURRENT_IMPORT,
                    phase=v201.PhaseEnum.L1,
                    unit_of_measure=v201.UnitOfMeasure(unit="A"),
                ),
            ),
        )

    async def run_201(self, profile_wait: float) -> None:
        boot = await self.call(
            v201.BootNotificationRequest(
                charging_station=v201.ChargingStation(
                    model="example-station", vendor_name="ocpp_core"
                ),
                reason=v201.BootReasonEnum.POWER_UP,
            )
        )
        if boot is None or boot.status is not v201.RegistrationStatusEnum.ACCEPTED:
            self.failures.append("boot not accepted")
            return
        await self.call(v201.HeartbeatRequest())
        await self.call(self.status_201(v201.ConnectorStatusEnum.AVAILABLE))
        token = v201.IdToken(id_token=ID_TAG, type=v201.IdTokenEnum.ISO14443)
        authorized = await self.call(v201.AuthorizeRequest(id_token=token))
        if (
            authorized is None
            or authorized.id_token_info.status is not v201.AuthorizationStatusEnum.ACCEPTED
        ):
            self.failures.append("token not accepted")
            return
        transaction = str(uuid.uuid4())
        self.started(transaction)
        evse = v201.EVSE(id=1, connector_id=1)
        seq = iter(range(100))
        await self.call(self.status_201(v201.ConnectorStatusEnum.OCCUPIED))
        await self.call(
            v201.TransactionEventRequest(
                event_type=v201.TransactionEventEnum.STARTED,
                timestamp=now_utc(),
                trigger_reason=v201.TriggerReasonEnum.AUTHORIZED,
                seq_no=next(seq),
                transaction_info=v201.Transaction(
                    transaction_id=transaction, charging_state=v201.ChargingStateEnum.CHARGING
                ),
                evse=evse,
                id_token=token,
                meter_value=(self.meter_201(v201.ReadingContextEnum.TRANSACTION_BEGIN),),
            )
        )
        await self.wait_for_profile(profile_wait)
        self.energy += 250
        await self.call(
            v201.MeterValuesRequest(
                evse_id=1, meter_value=(self.meter_201(v201.ReadingContextEnum.SAMPLE_PERIODIC),)
            )
        )
        self.energy += 250
        await self.call(
            v201.TransactionEventRequest(
                event_type=v201.TransactionEventEnum.UPDATED,
                timestamp=now_utc(),
                trigger_reason=v201.TriggerReasonEnum.METER_VALUE_PERIODIC,
                seq_no=next(seq),
                transaction_info=v201.Transaction(
                    transaction_id=transaction, charging_state=v201.ChargingStateEnum.CHARGING
                ),
                meter_value=(self.meter_201(v201.ReadingContextEnum.SAMPLE_PERIODIC),),
            )
        )
        await self.call(
            v201.TransactionEventRequest(
                event_type=v201.TransactionEventEnum.ENDED,
                timestamp=now_utc(),
                trigger_reason=v201.TriggerReasonEnum.STOP_AUTHORIZED,
                seq_no=next(seq),
                transaction_info=v201.Transaction(
                    transaction_id=transaction,
                    charging_state=v201.ChargingStateEnum.IDLE,
                    stopped_reason=v201.ReasonEnum.LOCAL,
                ),
                id_token=token,
                meter_value=(self.meter_201(v201.ReadingContextEnum.TRANSACTION_END),),
            )
        )
        await self.call(self.status_201(v201.ConnectorStatusEnum.AVAILABLE))


def tls_context(args: argparse.Namespace, version: OcppVersion) -> ssl.SSLContext | None:
    """The client TLS context for ``--security-profile 2|3`` (ocpp_core.security)."""
    if args.security_profile not in (2, 3):
        return None
    from ocpp_core.security import station_ssl_context

    context = station_ssl_context(
        args.security_profile, version, csms_roots=Path(args.ca).read_bytes()
    )
    if args.security_profile == 3:
        context.load_cert_chain(args.cert, args.key)
    return context


def check_security_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    profile = args.security_profile
    if profile is None:
        return
    if profile in (1, 2) and not args.password:
        parser.error(f"--security-profile {profile} needs --password")
    if profile in (2, 3) and not (args.ca and args.url.startswith("wss://")):
        parser.error(f"--security-profile {profile} needs --ca and a wss:// URL")
    if profile == 3 and not (args.cert and args.key):
        parser.error("--security-profile 3 needs --cert and --key")


async def run(args: argparse.Namespace) -> int:
    version = OcppVersion.parse(args.version)
    station = Station(version)
    async with connect(
        args.url,
        versions=[version],
        password=args.password,
        ssl=tls_context(args, version),
        router=station.router(),
        open_timeout=args.timeout,
    ) as connection:
        station.connection = connection
        scenario = station.run_16 if version is OcppVersion.V16 else station.run_201
        await scenario(args.profile_wait)
    if args.require_profile and not station.profile_received.is_set():
        station.failures.append("no SetChargingProfile installed")
    for failure in station.failures:
        print(f"# failed: {failure}", file=sys.stderr)
    print(f"# done: {len(station.failures)} failures", file=sys.stderr)
    return 1 if station.failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="ws://127.0.0.1:9000/CP_1")
    parser.add_argument("--version", default="2.0.1", choices=["1.6", "2.0.1"])
    parser.add_argument("--password", help="HTTP Basic authentication (security profile 1)")
    parser.add_argument("--timeout", type=float, default=30.0, help="bound on the whole run")
    parser.add_argument(
        "--profile-wait", type=float, default=5.0, help="seconds to wait for SetChargingProfile"
    )
    parser.add_argument("--require-profile", action="store_true")
    parser.add_argument(
        "--security-profile",
        type=int,
        choices=[1, 2, 3],
        help="1: Basic auth over ws://; 2: TLS + Basic auth; 3: TLS + client certificate",
    )
    parser.add_argument("--cert", help="profile 3: the station certificate (PEM file)")
    parser.add_argument("--key", help="profile 3: the station private key (PEM file)")
    parser.add_argument("--ca", help="profiles 2, 3: the CSMS root certificate(s) (PEM file)")
    args = parser.parse_args(argv)
    check_security_options(parser, args)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="# %(message)s")
    log_frames(sys.stdout)
    try:
        return asyncio.run(asyncio.wait_for(run(args), args.timeout))
    except TimeoutError:
        print(f"# timeout after {args.timeout} s", file=sys.stderr)
        return 1
    except (OSError, AioError) as exc:
        print(f"# cannot connect: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
