"""SetChargingProfile acceptance: every rule of every version, with its requirement id."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from ocpp_core.errors import ErrorCode
from ocpp_core.smart_charging import (
    RULES,
    ChargingProfile,
    ChargingRateUnit,
    ChargingSchedule,
    Evse,
    LimitAtSoC,
    OperationMode,
    PhaseType,
    ProfileKind,
    ProfilePurpose,
    ProfileSource,
    ProfileStore,
    RecurrencyKind,
    Rule,
    SchedulePeriod,
    SmartChargingFeature,
    Station,
    Transaction,
    V2XFreqWattPoint,
    validate_profile,
)
from ocpp_core.versions import OcppVersion
from tests._shared import shared_path

T0 = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)
TX = Transaction(evse_id=1, started_at=T0, transaction_id="tx-1")
TX16 = Transaction(evse_id=1, started_at=T0, transaction_id=17)


def station(**changes: Any) -> Station:
    base = Station(evses=(Evse(id=1), Evse(id=2)), transactions=(TX,))
    return attrs.evolve(base, **changes)


def period(**changes: Any) -> SchedulePeriod:
    return attrs.evolve(SchedulePeriod(start_period=0, limit=16.0), **changes)


def schedule(*periods: SchedulePeriod, **changes: Any) -> ChargingSchedule:
    base = ChargingSchedule(
        id=1,
        charging_rate_unit=ChargingRateUnit.A,
        start_schedule=T0,
        periods=periods or (period(),),
    )
    return attrs.evolve(base, **changes)


def profile(**changes: Any) -> ChargingProfile:
    base = ChargingProfile(
        id=10,
        stack_level=1,
        purpose=ProfilePurpose.TX_DEFAULT,
        kind=ProfileKind.ABSOLUTE,
        schedules=(schedule(),),
    )
    return attrs.evolve(base, **changes)


def tx_profile(**changes: Any) -> ChargingProfile:
    return profile(**{"purpose": ProfilePurpose.TX, "transaction_id": "tx-1", **changes})


def store(version: str, *entries: tuple[int, ChargingProfile]) -> ProfileStore:
    return ProfileStore.of(version, list(entries))


Case = tuple[str, Rule, Callable[[], dict[str, Any]]]


def _case(
    version: str,
    rule: Rule,
    candidate: ChargingProfile,
    evse_id: int = 1,
    *,
    installed: tuple[tuple[int, ChargingProfile], ...] = (),
    site: Station | None = None,
    source: ProfileSource = ProfileSource.SET_CHARGING_PROFILE,
    now: datetime | None = None,
    prior: ProfileStore | None = None,
) -> tuple[str, Rule, dict[str, Any]]:
    return (
        version,
        rule,
        {
            "profile": candidate,
            "evse_id": evse_id,
            "store": prior or store(version, *installed),
            "station": site or station(),
            "source": source,
            "now": now,
        },
    )


def _cases() -> list[tuple[str, Rule, dict[str, Any]]]:
    v2, v21, v16 = "2.0.1", "2.1", "1.6"
    external = profile(purpose=ProfilePurpose.CHARGING_STATION_EXTERNAL_CONSTRAINTS)
    dc_site = station(evses=(Evse(id=1, phase_type=PhaseType.DC),))
    relative = profile(kind=ProfileKind.RELATIVE, schedules=(schedule(start_schedule=None),))
    v21_tx = tx_profile()
    return [
        _case(v2, Rule.SMART_CHARGING_UNAVAILABLE, profile(), site=station(available=False)),
        _case(v2, Rule.EXTERNAL_CONSTRAINTS_IN_REQUEST, external),
        _case(v2, Rule.EVSE_DOES_NOT_EXIST, profile(), 7),
        _case(v2, Rule.EXISTING_EXTERNAL_CONSTRAINTS, profile(), installed=((0, external),)),
        _case(v2, Rule.EMPTY_CHARGING_SCHEDULES, profile(schedules=())),
        _case(v2, Rule.NO_CHARGING_SCHEDULE_PERIODS, profile(schedules=(schedule(periods=()),))),
        _case(
            v2,
            Rule.RATE_UNIT_UNSUPPORTED,
            profile(),
            site=station(rate_units=(ChargingRateUnit.W,)),
        ),
        _case(
            v2,
            Rule.FIRST_START_PERIOD_NOT_ZERO,
            profile(schedules=(schedule(period(start_period=60)),)),
        ),
        _case(
            v2,
            Rule.PERIODS_OUT_OF_ORDER,
            profile(
                schedules=(schedule(period(), period(start_period=600), period(start_period=300)),)
            ),
        ),
        _case(
            v2,
            Rule.INVALID_PHASE_TO_USE,
            profile(schedules=(schedule(period(number_phases=3, phase_to_use=1)),)),
            site=station(ac_phase_switching_supported=True),
        ),
        _case(
            v2,
            Rule.PHASE_SWITCHING_UNSUPPORTED,
            profile(schedules=(schedule(period(number_phases=1, phase_to_use=2)),)),
        ),
        _case(
            v2,
            Rule.EXTRANEOUS_PHASE_VALUES,
            profile(schedules=(schedule(period(number_phases=3)),)),
            site=dc_site,
        ),
        _case(
            v21,
            Rule.NO_PHASE_FOR_DC,
            profile(schedules=(schedule(period(number_phases=3)),)),
            site=dc_site,
        ),
        _case(
            v2,
            Rule.UNSUPPORTED_NUMBER_PHASES,
            profile(schedules=(schedule(period(number_phases=3)),)),
            site=station(supply_phases=1),
        ),
        _case(
            v2,
            Rule.MISSING_START_SCHEDULE,
            profile(schedules=(schedule(start_schedule=None),)),
        ),
        _case(v2, Rule.EXTRANEOUS_START_SCHEDULE, profile(kind=ProfileKind.RELATIVE)),
        _case(v2, Rule.DUPLICATE_VALIDITY_PERIOD, profile(), installed=((1, profile(id=11)),)),
        _case(
            v2,
            Rule.MAX_PROFILE_EVSE_NOT_ZERO,
            profile(purpose=ProfilePurpose.CHARGING_STATION_MAX),
            1,
        ),
        _case(
            v2,
            Rule.MAX_PROFILE_RELATIVE,
            attrs.evolve(relative, purpose=ProfilePurpose.CHARGING_STATION_MAX),
            0,
        ),
        _case(
            v2,
            Rule.DUPLICATE_TX_DEFAULT_STATION_WIDE,
            profile(),
            0,
            installed=((1, profile(id=11, valid_to=T0)),),
        ),
        _case(
            v2,
            Rule.DUPLICATE_TX_DEFAULT_EVSE,
            profile(),
            1,
            installed=((0, profile(id=11, valid_to=T0)),),
        ),
        _case(v2, Rule.TX_PROFILE_EVSE_NOT_POSITIVE, tx_profile(), 0),
        _case(v2, Rule.TX_PROFILE_MISSING_TRANSACTION_ID, tx_profile(transaction_id=None)),
        _case(v2, Rule.TX_PROFILE_NO_ACTIVE_TRANSACTION, tx_profile(), 2),
        _case(v2, Rule.TX_PROFILE_TRANSACTION_NOT_ON_EVSE, tx_profile(transaction_id="other")),
        _case(
            v2,
            Rule.TX_PROFILE_CONFLICTING_STACK_LEVEL,
            tx_profile(),
            installed=((1, tx_profile(id=11)),),
        ),
        _case(
            v2,
            Rule.REQUEST_START_NON_TX_PROFILE,
            profile(),
            source=ProfileSource.REQUEST_START_TRANSACTION,
        ),
        _case(
            v2, Rule.STACK_LEVEL_TOO_HIGH, profile(stack_level=5), site=station(max_stack_level=4)
        ),
        _case(
            v2,
            Rule.TOO_MANY_PERIODS,
            profile(schedules=(schedule(period(), period(start_period=60)),)),
            site=station(max_periods_per_schedule=1),
        ),
        _case(
            v2,
            Rule.TOO_MANY_PROFILES,
            profile(),
            installed=((2, profile(id=11)),),
            site=station(max_profiles_installed=1),
        ),
        _case(
            v21,
            Rule.RATE_LIMIT_EXCEEDED,
            profile(),
            site=station(update_rate_limit=60),
            now=T0 + timedelta(seconds=30),
            prior=ProfileStore(version=v21).put(profile(id=11, stack_level=2), 1, installed_at=T0),
        ),
        _case(
            v21,
            Rule.PRIORITY_CHARGING_DURATION,
            profile(purpose=ProfilePurpose.PRIORITY_CHARGING, schedules=(schedule(duration=3600),)),
            site=station(additional_purposes=frozenset({ProfilePurpose.PRIORITY_CHARGING})),
        ),
        _case(
            v21,
            Rule.PRIORITY_CHARGING_NOT_CHARGING_ONLY,
            profile(
                purpose=ProfilePurpose.PRIORITY_CHARGING,
                schedules=(
                    schedule(period(limit=None, operation_mode=OperationMode.EXTERNAL_LIMITS)),
                ),
            ),
            site=station(additional_purposes=frozenset({ProfilePurpose.PRIORITY_CHARGING})),
        ),
        _case(
            v21,
            Rule.ID_BELOW_MAX_EXTERNAL_CONSTRAINTS_ID,
            profile(),
            site=station(max_external_constraints_id=10),
        ),
        _case(
            v21,
            Rule.RANDOMIZED_DELAY_PURPOSE,
            profile(
                purpose=ProfilePurpose.CHARGING_STATION_MAX,
                schedules=(schedule(randomized_delay=30),),
            ),
            0,
            site=station(features=frozenset({SmartChargingFeature.RANDOMIZED_DELAY})),
        ),
        _case(v21, Rule.UNSUPPORTED_PURPOSE, profile(purpose=ProfilePurpose.LOCAL_GENERATION)),
        _case(v21, Rule.UNSUPPORTED_KIND, profile(kind=ProfileKind.DYNAMIC)),
        _case(v21, Rule.NOT_DYNAMIC, profile(dyn_update_interval=60)),
        _case(
            v21, Rule.UNSUPPORTED_LOCAL_TIME, profile(schedules=(schedule(use_local_time=True),))
        ),
        _case(
            v21,
            Rule.UNSUPPORTED_RANDOMIZED_DELAY,
            profile(schedules=(schedule(randomized_delay=0),)),
        ),
        _case(
            v21,
            Rule.UNSUPPORTED_LIMIT_AT_SOC,
            profile(schedules=(schedule(limit_at_soc=LimitAtSoC(soc=80, limit=8.0)),)),
        ),
        _case(
            v21,
            Rule.UNSUPPORTED_EVSE_SLEEP,
            profile(schedules=(schedule(period(evse_sleep=True)),)),
        ),
        _case(
            v21,
            Rule.OPERATION_MODE_NOT_ALLOWED,
            profile(
                purpose=ProfilePurpose.CHARGING_STATION_MAX,
                schedules=(
                    schedule(period(operation_mode=OperationMode.CENTRAL_SETPOINT, setpoint=5.0)),
                ),
            ),
            0,
        ),
        _case(
            v21,
            Rule.LIMIT_SETPOINT_MISMATCH,
            profile(schedules=(schedule(period(limit=None)),)),
        ),
        _case(
            v21,
            Rule.NO_FREQ_WATT_CURVE,
            profile(
                schedules=(
                    schedule(
                        period(limit=None, operation_mode=OperationMode.LOCAL_FREQUENCY),
                        charging_rate_unit=ChargingRateUnit.W,
                    ),
                )
            ),
        ),
        _case(
            v21,
            Rule.LOCAL_FREQUENCY_IN_AMPS,
            profile(
                schedules=(
                    schedule(
                        period(
                            limit=None,
                            operation_mode=OperationMode.LOCAL_FREQUENCY,
                            v2x_baseline=0.0,
                            v2x_freq_watt_curve=(
                                V2XFreqWattPoint(frequency=49.8, power=-3000.0),
                                V2XFreqWattPoint(frequency=50.2, power=3000.0),
                            ),
                        )
                    ),
                )
            ),
        ),
        _case(
            v21,
            Rule.SETPOINT_SIGN_DIFFERENCE,
            attrs.evolve(
                v21_tx,
                schedules=(
                    schedule(
                        period(
                            operation_mode=OperationMode.CENTRAL_SETPOINT,
                            setpoint=5.0,
                            setpoint_l2=-5.0,
                            setpoint_l3=5.0,
                        )
                    ),
                ),
            ),
        ),
        _case(
            v21,
            Rule.DYNAMIC_SINGLE_SCHEDULE,
            profile(kind=ProfileKind.DYNAMIC, schedules=(schedule(), schedule())),
            site=station(features=frozenset({SmartChargingFeature.DYNAMIC_PROFILES})),
        ),
        _case(
            v21,
            Rule.DYNAMIC_SINGLE_PERIOD,
            profile(
                kind=ProfileKind.DYNAMIC,
                schedules=(schedule(period(), period(start_period=60)),),
            ),
            site=station(features=frozenset({SmartChargingFeature.DYNAMIC_PROFILES})),
        ),
        # 1.6
        _case(v16, Rule.CONNECTOR_DOES_NOT_EXIST, profile(), 3),
        _case(
            v16, Rule.STACK_LEVEL_TOO_HIGH, profile(stack_level=9), site=station(max_stack_level=8)
        ),
        _case(v16, Rule.STACK_LEVEL_TOO_HIGH, profile(stack_level=-1)),
        _case(
            v16,
            Rule.TOO_MANY_PERIODS,
            profile(schedules=(schedule(period(), period(start_period=60)),)),
            site=station(max_periods_per_schedule=1),
        ),
        _case(
            v16,
            Rule.RATE_UNIT_UNSUPPORTED,
            profile(),
            site=station(rate_units=(ChargingRateUnit.W,)),
        ),
        _case(
            v16,
            Rule.TOO_MANY_PROFILES,
            profile(),
            installed=((1, profile()),),
            site=station(max_profiles_installed=1),
        ),
        _case(
            v16,
            Rule.UNSUPPORTED_PURPOSE,
            profile(),
            site=station(supported_purposes=frozenset({ProfilePurpose.TX})),
        ),
        _case(v16, Rule.UNSUPPORTED_PURPOSE, external),
        _case(v16, Rule.UNSUPPORTED_KIND, profile(kind=ProfileKind.DYNAMIC)),
        _case(
            v16, Rule.MISSING_START_SCHEDULE, profile(schedules=(schedule(start_schedule=None),))
        ),
        _case(
            v16,
            Rule.MISSING_RECURRENCY_KIND,
            profile(kind=ProfileKind.RECURRING),
        ),
        _case(
            v16,
            Rule.INVALID_NUMBER_PHASES,
            profile(schedules=(schedule(period(number_phases=4)),)),
        ),
        _case(v16, Rule.NEGATIVE_LIMIT, profile(schedules=(schedule(period(limit=-1.0)),))),
        _case(
            v16,
            Rule.FIRST_START_PERIOD_NOT_ZERO,
            profile(schedules=(schedule(period(start_period=5)),)),
        ),
        _case(
            v16,
            Rule.MAX_PROFILE_NOT_ON_CONNECTOR_ZERO,
            profile(purpose=ProfilePurpose.CHARGING_STATION_MAX),
            1,
        ),
        _case(
            v16,
            Rule.MAX_PROFILE_RELATIVE,
            attrs.evolve(relative, purpose=ProfilePurpose.CHARGING_STATION_MAX),
            0,
        ),
        _case(v16, Rule.TX_PROFILE_ON_CONNECTOR_ZERO, tx_profile(transaction_id=None), 0),
        _case(v16, Rule.TX_PROFILE_NO_TRANSACTION, tx_profile(transaction_id=None), 2),
        _case(v16, Rule.TX_PROFILE_TRANSACTION_MISMATCH, tx_profile(transaction_id=99)),
        _case(
            v16,
            Rule.REQUEST_START_NON_TX_PROFILE,
            profile(),
            source=ProfileSource.REQUEST_START_TRANSACTION,
        ),
    ]


CASES = _cases()


@pytest.mark.parametrize(
    ("version", "rule", "kwargs"),
    CASES,
    ids=[f"{version}-{rule.name}-{index}" for index, (version, rule, _) in enumerate(CASES)],
)
def test_rule_rejects(version: str, rule: Rule, kwargs: dict[str, Any]) -> None:
    result = validate_profile(
        kwargs["profile"],
        kwargs["evse_id"],
        kwargs["store"],
        kwargs["station"],
        source=kwargs["source"],
        now=kwargs["now"],
    )
    assert not result.accepted
    assert result.rule is rule, result.describe()
    info = RULES[rule]
    assert OcppVersion(version) in info.versions
    assert result.requirement_id == (None if version == "1.6" else info.requirement_id)
    assert result.reason_code == info.reason_code
    assert result.additional_info == (info.additional_info or rule.value)
    assert result.message
    assert rule.name in result.describe()
    if rule is Rule.SMART_CHARGING_UNAVAILABLE:
        assert result.call_error is ErrorCode.NOT_SUPPORTED


def test_every_rule_has_a_case() -> None:
    assert {rule for _, rule, _ in CASES} == set(Rule)
    assert set(RULES) == set(Rule)


def test_rules_match_the_reference_table() -> None:
    """Every rejecting 2.x rule of validation-rules.json is one of ours: same reasonCode,
    same additionalInfo, same requirement id."""
    path = shared_path("reference", "libocpp-composite", "validation-rules.json")
    reference = json.loads(path.read_text(encoding="utf-8"))["rules"]
    by_info: dict[str, list[Rule]] = {}
    for rule in Rule:
        by_info.setdefault(RULES[rule].additional_info or rule.value, []).append(rule)
    checked = 0
    for entry in reference:
        info = entry.get("libocpp_additionalInfo")
        if info is None or entry["outcome"] != "Rejected":
            continue
        requirement = entry["requirement_id"].split(" ")[0]
        for name in info.split(" / "):
            candidates = by_info[name]
            assert any(
                RULES[rule].reason_code == entry["libocpp_reasonCode"]
                and (
                    requirement in ("-", "Table")
                    or requirement in (RULES[rule].requirement_id or "")
                )
                for rule in candidates
            ), (name, entry)
            checked += 1
    assert checked >= 45


@pytest.mark.parametrize("version", ["1.6", "2.0.1", "2.1"])
def test_valid_profiles_are_accepted(version: str) -> None:
    site = station(transactions=(TX16 if version == "1.6" else TX,))
    tx_id: int | str = 17 if version == "1.6" else "tx-1"
    for candidate, evse_id in (
        (profile(), 1),
        (profile(id=20, purpose=ProfilePurpose.CHARGING_STATION_MAX, stack_level=0), 0),
        (tx_profile(id=21, transaction_id=tx_id), 1),
        (
            profile(
                id=22,
                kind=ProfileKind.RECURRING,
                recurrency_kind=RecurrencyKind.DAILY,
                stack_level=3,
            ),
            2,
        ),
    ):
        result = validate_profile(candidate, evse_id, store(version), site)
        assert result.accepted, result.describe()
        assert result.describe() == "Accepted"


def test_conformance_changes() -> None:
    # 2.x fills numberPhases on AC (K01.FR.49), not on DC
    accepted = validate_profile(profile(), 1, store("2.0.1"), station())
    assert accepted.profile.schedule.periods[0].number_phases == 3
    dc = station(evses=(Evse(id=1, phase_type=PhaseType.DC),))
    assert (
        validate_profile(profile(), 1, store("2.0.1"), dc).profile.schedule.periods[0].number_phases
        is None
    )
    # 1.6 clamps a Recurring duration to the recurrence period (libocpp)
    daily = profile(
        kind=ProfileKind.RECURRING,
        recurrency_kind=RecurrencyKind.DAILY,
        schedules=(schedule(duration=100_000),),
    )
    assert validate_profile(daily, 1, store("1.6"), station()).profile.schedule.duration == 86_400
    # 1.6 leniency: a missing startSchedule is read as the installation time
    lenient = station(allow_missing_start_schedule=True)
    missing = profile(schedules=(schedule(start_schedule=None),))
    result = validate_profile(missing, 1, store("1.6"), lenient, now=T0)
    assert result.accepted
    assert result.profile.schedule.start_schedule == T0


def test_rate_limit_counts_only_the_same_purpose() -> None:
    site = station(update_rate_limit=60)
    first = ProfileStore(version="2.1").install(profile(), 1, site, now=T0)
    assert first.accepted
    other = profile(id=11, purpose=ProfilePurpose.CHARGING_STATION_MAX, stack_level=0)
    assert first.store.install(other, 0, site, now=T0 + timedelta(seconds=1)).accepted
    late = first.store.install(
        profile(id=12, stack_level=2), 1, site, now=T0 + timedelta(seconds=61)
    )
    assert late.accepted


def test_request_start_transaction_needs_no_transaction() -> None:
    for version, tx_id in (("2.0.1", None), ("1.6", None)):
        result = validate_profile(
            tx_profile(transaction_id=tx_id),
            2,
            store(version),
            station(),
            source=ProfileSource.REQUEST_START_TRANSACTION,
        )
        assert result.accepted, result.describe()


def test_external_source_may_install_external_constraints() -> None:
    external = profile(purpose=ProfilePurpose.CHARGING_STATION_EXTERNAL_CONSTRAINTS)
    result = validate_profile(external, 0, store("2.0.1"), station(), source=ProfileSource.EXTERNAL)
    assert result.accepted


def test_every_rule_has_a_row_in_the_check_table_of_each_of_its_versions() -> None:
    from ocpp_core.smart_charging._validation import CHECKS_V2X, CHECKS_V16

    v16_rules = {step.rule for step in CHECKS_V16}
    v2x_rules = {step.rule for step in CHECKS_V2X}
    for rule in Rule:
        versions = RULES[rule].versions
        assert (OcppVersion.V16 in versions) == (rule in v16_rules), rule
        assert bool(versions - {OcppVersion.V16}) == (rule in v2x_rules), rule


def test_present_value_groups_follow_the_group_table() -> None:
    """The written-out presence check agrees with the table of per-phase field groups."""
    from ocpp_core.smart_charging._validation import _VALUE_GROUPS, _present_fields

    for group, names in _VALUE_GROUPS.items():
        for name in names:
            period = SchedulePeriod(start_period=0, **{name: 1.0})
            assert _present_fields(period) == {group}, name
    assert _present_fields(SchedulePeriod(start_period=0)) == set()
