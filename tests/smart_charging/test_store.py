"""The profile store: install/replace, clear, query and transaction end, per version."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

from ocpp_core.smart_charging import (
    ChargingProfile,
    ChargingRateUnit,
    ChargingSchedule,
    ClearStatus,
    Evse,
    ProfileKind,
    ProfilePurpose,
    ProfileSource,
    ProfileStore,
    QueryStatus,
    SchedulePeriod,
    Station,
    Transaction,
)

T0 = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)
SITE = Station(
    evses=(Evse(id=1), Evse(id=2)),
    transactions=(Transaction(evse_id=1, started_at=T0, transaction_id="tx-1"),),
)
SITE16 = attrs.evolve(SITE, transactions=(Transaction(evse_id=1, started_at=T0, transaction_id=5),))


def profile(**changes: Any) -> ChargingProfile:
    base = ChargingProfile(
        id=1,
        stack_level=0,
        purpose=ProfilePurpose.TX_DEFAULT,
        kind=ProfileKind.ABSOLUTE,
        schedules=(
            ChargingSchedule(
                id=1,
                charging_rate_unit=ChargingRateUnit.A,
                start_schedule=T0,
                periods=(SchedulePeriod(start_period=0, limit=16.0),),
            ),
        ),
    )
    return attrs.evolve(base, **changes)


def ids(store: ProfileStore) -> list[tuple[int, int]]:
    return [(entry.evse_id, entry.profile.id) for entry in store.entries]


def test_v16_replaces_by_id_anywhere_and_by_stack_level_and_purpose_on_the_connector() -> None:
    store = ProfileStore(version="1.6")
    store = store.install(profile(id=1, stack_level=0), 1, SITE16).store
    store = store.install(profile(id=2, stack_level=1), 1, SITE16).store
    store = store.install(profile(id=3, stack_level=1), 2, SITE16).store
    assert ids(store) == [(1, 1), (1, 2), (2, 3)]
    # same id on another connector: the old one goes
    result = store.install(profile(id=1, stack_level=4), 2, SITE16)
    assert [e.profile.id for e in result.replaced] == [1]
    assert ids(result.store) == [(1, 2), (2, 3), (2, 1)]
    # same stack level and purpose on the same connector: replaced
    result = result.store.install(profile(id=9, stack_level=1), 1, SITE16)
    assert [e.profile.id for e in result.replaced] == [2]
    # same stack level, other purpose: kept
    tx = profile(id=10, stack_level=1, purpose=ProfilePurpose.TX, transaction_id=5)
    result = result.store.install(tx, 1, SITE16)
    assert result.accepted
    assert not result.replaced


def test_v201_replaces_by_id_only_and_moves_the_profile() -> None:
    store = ProfileStore(version="2.0.1")
    store = store.install(profile(id=1), 1, SITE).store
    result = store.install(profile(id=1, stack_level=3), 2, SITE)
    assert result.accepted
    assert ids(result.store) == [(2, 1)]
    assert result.store.get(1) is not None
    assert result.store.get(1).profile.stack_level == 3  # type: ignore[union-attr]
    assert result.store.get(42) is None
    # K01.FR.06: same level, purpose and EVSE, overlapping validity: refused, store unchanged
    refused = result.store.install(profile(id=2, stack_level=3), 2, SITE)
    assert not refused.accepted
    assert refused.store is result.store


def test_rejected_install_leaves_the_store_unchanged() -> None:
    store = ProfileStore(version="2.0.1")
    result = store.install(profile(purpose=ProfilePurpose.TX, transaction_id="nope"), 1, SITE)
    assert not result.accepted
    assert result.store == store
    assert len(result.store) == 0


def test_installed_profile_is_the_conformed_one() -> None:
    result = ProfileStore(version="2.0.1").install(profile(), 1, SITE, now=T0)
    entry = result.store.entries[0]
    assert entry.profile.schedule.periods[0].number_phases == 3  # K01.FR.49
    assert entry.installed_at == T0
    assert entry.limit_source == "CSO"
    assert result.store.profiles == (entry.profile,)


def test_v16_clear() -> None:
    store = ProfileStore.of(
        "1.6",
        [
            (0, profile(id=1, purpose=ProfilePurpose.CHARGING_STATION_MAX)),
            (0, profile(id=2)),
            (1, profile(id=3, stack_level=2)),
            (2, profile(id=4, stack_level=2)),
        ],
    )
    # errata 3.25: id AND criteria
    assert store.clear(profile_id=3, evse_id=2).status is ClearStatus.UNKNOWN
    assert ids(store.clear(profile_id=3, evse_id=1).store) == [(0, 1), (0, 2), (2, 4)]
    # libocpp reading: the id alone
    assert ids(store.clear(profile_id=3, evse_id=2, id_only=True).store) == [(0, 1), (0, 2), (2, 4)]
    # criteria AND-ed; connector 0 matches profiles installed on connector 0
    cleared = store.clear(evse_id=0, purpose=ProfilePurpose.TX_DEFAULT)
    assert cleared.status is ClearStatus.ACCEPTED
    assert [e.profile.id for e in cleared.cleared] == [2]
    assert ids(store.clear(stack_level=2).store) == [(0, 1), (0, 2)]
    # nothing given: everything
    assert len(store.clear().store) == 0
    assert store.clear(profile_id=99).status is ClearStatus.UNKNOWN


def test_v201_clear() -> None:
    external = profile(id=7, purpose=ProfilePurpose.CHARGING_STATION_EXTERNAL_CONSTRAINTS)
    store = ProfileStore.of(
        "2.0.1",
        [(0, external), (0, profile(id=1)), (1, profile(id=2, stack_level=1)), (2, profile(id=3))],
    )
    # K10.FR.03/.09: the id wins over criteria
    assert ids(store.clear(profile_id=2, evse_id=2).store) == [(0, 7), (0, 1), (2, 3)]
    # K10.FR.04: external constraints are never cleared, not even by id or "all"
    assert store.clear(profile_id=7).status is ClearStatus.UNKNOWN
    assert ids(store.clear().store) == [(0, 7)]
    # K10.FR.06: criteria naming external constraints: Unknown, InvalidValue
    refused = store.clear(purpose=ProfilePurpose.CHARGING_STATION_EXTERNAL_CONSTRAINTS)
    assert refused.status is ClearStatus.UNKNOWN
    assert refused.reason_code == "InvalidValue"
    # an empty criteria object clears nothing
    assert store.clear(criteria_given=True).status is ClearStatus.UNKNOWN
    assert ids(store.clear(stack_level=0, evse_id=0).store) == [(0, 7), (1, 2), (2, 3)]
    # id AND criteria when asked
    assert store.clear(profile_id=2, evse_id=2, id_only=False).status is ClearStatus.UNKNOWN


def test_v201_query_and_reports() -> None:
    external = profile(id=7, purpose=ProfilePurpose.CHARGING_STATION_EXTERNAL_CONSTRAINTS)
    store = ProfileStore(version="2.0.1")
    store = store.install(
        external, 0, SITE, source=ProfileSource.EXTERNAL, limit_source="EMS"
    ).store
    store = store.install(profile(id=1), 0, SITE).store
    store = store.install(profile(id=2, stack_level=1), 1, SITE).store
    store = store.install(profile(id=3, stack_level=2), 1, SITE).store
    everything = store.query(request_id=5)
    assert everything.status is QueryStatus.ACCEPTED
    assert [(r.evse_id, r.limit_source, r.tbc) for r in everything.reports] == [
        (0, "EMS", True),
        (0, "CSO", True),
        (1, "CSO", False),
    ]
    assert all(r.request_id == 5 for r in everything.reports)  # K09.FR.01
    assert [p.id for p in everything.profiles] == [7, 1, 2, 3]
    assert [p.id for p in store.query(evse_id=0).profiles] == [7, 1]  # K09.FR.05
    assert [p.id for p in store.query(evse_id=1, stack_level=2).profiles] == [3]  # K09.FR.04
    assert [p.id for p in store.query(profile_ids=[1, 3], stack_level=9).profiles] == [1, 3]
    assert [p.id for p in store.query(limit_sources=["EMS"]).profiles] == [7]
    purpose = ProfilePurpose.TX_DEFAULT
    assert [p.id for p in store.query(purpose=purpose, evse_id=1).profiles] == [2, 3]
    assert store.query(evse_id=2).status is QueryStatus.NO_PROFILES


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_transaction_end_removes_its_tx_profiles(version: str) -> None:
    tx_id: int | str = 5 if version == "1.6" else "tx-1"
    site = SITE16 if version == "1.6" else SITE
    store = ProfileStore(version=version)
    store = store.install(profile(id=1), 1, site).store
    store = store.install(
        profile(id=2, stack_level=1, purpose=ProfilePurpose.TX, transaction_id=tx_id), 1, site
    ).store
    ended = store.end_transaction(site.transactions[0])
    assert ids(ended) == [(1, 1)]
    other = Transaction(evse_id=2, started_at=T0, transaction_id="zz")
    assert ids(store.end_transaction(other)) == ids(store)


def test_offline_invalidation() -> None:
    keep = profile(id=1, max_offline_duration=600)
    drop = profile(
        id=2, stack_level=1, max_offline_duration=600, invalid_after_offline_duration=True
    )
    store = ProfileStore.of("2.1", [(1, keep), (1, drop)])
    after, removed = store.drop_offline_invalid(900)
    assert removed == (2,)
    assert ids(after) == [(1, 1)]
    assert store.drop_offline_invalid(300)[1] == ()
    assert ids(store.remove_ids([1, 2])) == []


def test_put_skips_validation_but_replaces() -> None:
    store = ProfileStore(version="2.0.1").put(profile(id=1), 9)
    assert ids(store) == [(9, 1)]
    assert ids(store.put(profile(id=1), 2)) == [(2, 1)]
    assert store.put(profile(id=2), 2).entries[-1].sequence == 1
