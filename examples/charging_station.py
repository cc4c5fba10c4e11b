"""A charging station on ``ocpp_core.rpc.Session`` that runs one whole charging session.

Run it against a CSMS (``examples/csms.py`` or any other)::

    python examples/charging_station.py --url ws://127.0.0.1:9000/CP_1 --version 2.0.1

It boots, sends a heartbeat, reports its connector available, authorises a
token, charges (1.6 StartTransaction, MeterValues, StopTransaction; 2.0.1
TransactionEvent Started/Updated/Ended and MeterValues), answers the CSMS's
SetChargingProfile, reports the connector available again and disconnects.
It exits with status 0 when every CALL it sent got a CALLRESULT (and, with
``--require-profile``, a SetChargingProfile came), else 1. ``--timeout``
bounds the whole run.

The WebSocket plumbing (``Connection``, ``AsyncDispatcher``) is the one of
``examples/csms.py``, imported from there.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from typing import Any

from csms import AsyncDispatcher, Connection, now_utc
from websockets.asyncio.client import connect

from ocpp_core import OcppVersion, Role, v16, v201
from ocpp_core.rpc import (
    CallResultReceived,
    Session,
    basic_auth_header,
    subprotocol_for,
)

ID_TAG = "04A2C93A7B5E81"


class Station:
    """The station's state and the steps of one charging session."""

    def __init__(self, connection: Connection, version: OcppVersion) -> None:
        self.connection = connection
        self.version = version
        self.profiles: list[Any] = []
        self.profile_received = asyncio.Event()
        self.failures: list[str] = []
        self.energy = 1_000  # Wh on the meter

    async def call(self, message: Any) -> Any:
        outcome = await self.connection.call(message, timeout=10.0)
        if not isinstance(outcome, CallResultReceived):
            self.failures.append(f"{type(message).__name__}: {type(outcome).__name__}")
            return None
        return outcome.response

    async def wait_for_profile(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self.profile_received.wait(), seconds)
        except TimeoutError:
            print("# no SetChargingProfile came", file=sys.stderr)

    # --- OCPP 1.6 ------------------------------------------------------------------------

    def dispatcher_16(self) -> AsyncDispatcher:
        dispatcher = AsyncDispatcher()

        @dispatcher.on(v16.SetChargingProfileRequest)
        def set_profile(request: v16.SetChargingProfileRequest) -> v16.SetChargingProfileResponse:
            self.profiles.append(request.cs_charging_profiles)
            self.profile_received.set()
            return v16.SetChargingProfileResponse(status=v16.ChargingProfileStatus.ACCEPTED)

        @dispatcher.on(v16.RemoteStartTransactionRequest)
        def remote_start(
            request: v16.RemoteStartTransactionRequest,
        ) -> v16.RemoteStartTransactionResponse:
            return v16.RemoteStartTransactionResponse(status=v16.RemoteStartStopStatus.REJECTED)

        return dispatcher

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

    def dispatcher_201(self) -> AsyncDispatcher:
        dispatcher = AsyncDispatcher()

        @dispatcher.on(v201.SetChargingProfileRequest)
        def set_profile(
            request: v201.SetChargingProfileRequest,
        ) -> v201.SetChargingProfileResponse:
            self.profiles.append(request.charging_profile)
            self.profile_received.set()
            return v201.SetChargingProfileResponse(status=v201.ChargingProfileStatusEnum.ACCEPTED)

        return dispatcher

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


async def run(args: argparse.Namespace) -> int:
    version = OcppVersion.parse(args.version)
    station_id = args.url.rstrip("/").rpartition("/")[2]
    headers = {}
    if args.password:
        headers["Authorization"] = basic_auth_header(station_id, args.password, version)
    async with connect(
        args.url,
        subprotocols=[subprotocol_for(version)],  # type: ignore[list-item]
        additional_headers=headers,
        open_timeout=args.timeout,
    ) as websocket:
        if websocket.subprotocol != subprotocol_for(version):
            print(f"# the CSMS did not accept {subprotocol_for(version)}", file=sys.stderr)
            return 1
        session = Session(version, Role.CHARGING_STATION, new_id=lambda: str(uuid.uuid4()))
        connection = Connection(websocket, session, AsyncDispatcher(), station_id)
        station = Station(connection, version)
        connection.dispatcher = (
            station.dispatcher_16() if version is OcppVersion.V16 else station.dispatcher_201()
        )
        reader = asyncio.ensure_future(connection.run())
        scenario = station.run_16 if version is OcppVersion.V16 else station.run_201
        try:
            await scenario(args.profile_wait)
        finally:
            await websocket.close()
            await asyncio.wait_for(reader, 5)
    if args.require_profile and not station.profiles:
        station.failures.append("no SetChargingProfile received")
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
    args = parser.parse_args(argv)
    try:
        return asyncio.run(asyncio.wait_for(run(args), args.timeout))
    except TimeoutError:
        print(f"# timeout after {args.timeout} s", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"# cannot connect: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
