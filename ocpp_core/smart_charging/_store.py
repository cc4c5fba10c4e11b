"""An immutable charging-profile store with each version's install, clear and query rules.

Theory of operation
-------------------
A :class:`ProfileStore` is a value: every operation returns a new store (and
an answer) and leaves the old one untouched, so a host can keep the previous
state, compare, persist or roll back as it likes.

* **Install** validates (:func:`~ocpp_core.smart_charging.validate_profile`)
  and, when accepted, stores the conformed profile after the version's
  replacement rule: 1.6 replaces a profile with the same id anywhere and one
  with the same stack level and purpose on the same connector; 2.x replaces the
  same id on any EVSE (the profile may move, K01.FR.05). :meth:`ProfileStore.put`
  does the replacement without validation, for stores built from trusted data.
* **Clear** follows ClearChargingProfile: 1.6 matches an id *and* the given
  criteria (errata 3.25; ``id_only=True`` for libocpp's id-only reading), 2.x
  matches the id alone when given (K10.FR.03/.09), otherwise the AND of the
  criteria, and never clears external constraints (K10.FR.04/.06).
* **Query** follows GetChargingProfiles (2.x, K09) and groups the answer into
  ReportChargingProfiles messages per EVSE and limit source, ``tbc`` on all but
  the last (K09.FR.02).
* **Transaction end** removes the transaction's TxProfiles (K02.FR.05; 1.6:
  those of the connector).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import datetime

import attrs

from ocpp_core.smart_charging._enums import to_enum, to_version
from ocpp_core.smart_charging._model import (
    PURPOSE_ALIASES,
    ChargingProfile,
    InstalledProfile,
    ProfilePurpose,
    Station,
    Transaction,
)
from ocpp_core.smart_charging._validation import (
    ProfileSource,
    ValidationResult,
    validate_profile,
)
from ocpp_core.versions import OcppVersion, VersionLike

__all__ = [
    "ClearResult",
    "ClearStatus",
    "InstallResult",
    "ProfileReport",
    "ProfileStore",
    "QueryResult",
    "QueryStatus",
]


class ClearStatus(enum.StrEnum):
    """ClearChargingProfile status."""

    ACCEPTED = "Accepted"
    """At least one profile was cleared."""
    UNKNOWN = "Unknown"
    """Nothing matched (or the criteria were refused)."""


class QueryStatus(enum.StrEnum):
    """GetChargingProfiles status."""

    ACCEPTED = "Accepted"
    """Profiles follow in ReportChargingProfiles messages."""
    NO_PROFILES = "NoProfiles"
    """Nothing matched."""


def _clear_status(value: object) -> ClearStatus:
    return to_enum(ClearStatus, value, "ClearResult.status")


def _query_status(value: object) -> QueryStatus:
    return to_enum(QueryStatus, value, "QueryResult.status")


def _purpose_argument(value: object) -> ProfilePurpose | None:
    if value is None:
        return None
    return to_enum(ProfilePurpose, value, "purpose", PURPOSE_ALIASES)


@attrs.frozen(kw_only=True)
class InstallResult:
    """The outcome of :meth:`ProfileStore.install`."""

    store: ProfileStore
    """The store after the install (unchanged when rejected)."""
    validation: ValidationResult
    """Accepted or Rejected, and why."""
    replaced: tuple[InstalledProfile, ...] = ()
    """Profiles the new one replaced."""

    @property
    def accepted(self) -> bool:
        """Whether the profile was installed."""
        return self.validation.accepted


@attrs.frozen(kw_only=True)
class ClearResult:
    """The outcome of :meth:`ProfileStore.clear`."""

    store: ProfileStore
    """The store after clearing."""
    status: ClearStatus = attrs.field(converter=_clear_status)
    """Accepted when something was cleared, else Unknown."""
    cleared: tuple[InstalledProfile, ...] = ()
    """The profiles removed."""
    reason_code: str | None = None
    """2.x ``statusInfo.reasonCode`` when the request was refused (``InvalidValue``)."""


@attrs.frozen(kw_only=True)
class ProfileReport:
    """One ReportChargingProfiles message of a GetChargingProfiles answer."""

    request_id: int
    """The request's id, echoed (K09.FR.01)."""
    evse_id: int
    """The EVSE the profiles are installed on (0: station-wide)."""
    limit_source: str
    """Their ``chargingLimitSource``."""
    profiles: tuple[ChargingProfile, ...]
    """The profiles."""
    tbc: bool
    """To be continued: true on all reports but the last (K09.FR.02)."""


@attrs.frozen(kw_only=True)
class QueryResult:
    """The outcome of :meth:`ProfileStore.query`."""

    status: QueryStatus = attrs.field(converter=_query_status)
    """Accepted or NoProfiles."""
    reports: tuple[ProfileReport, ...] = ()
    """The ReportChargingProfiles messages to send."""

    @property
    def profiles(self) -> tuple[ChargingProfile, ...]:
        """Every matching profile, in report order."""
        return tuple(profile for report in self.reports for profile in report.profiles)


def _version_converter(value: object) -> OcppVersion:
    return to_version(value, "ProfileStore.version")


@attrs.frozen(kw_only=True)
class ProfileStore:
    """The installed charging profiles of one station, under one OCPP version's rules."""

    version: OcppVersion = attrs.field(converter=_version_converter)
    """The OCPP version whose semantics apply."""
    entries: tuple[InstalledProfile, ...] = ()
    """The installed profiles, in installation order."""

    @classmethod
    def of(
        cls, version: VersionLike, profiles: Iterable[tuple[int, ChargingProfile]]
    ) -> ProfileStore:
        """Build a store holding exactly ``profiles`` (``(evse_id, profile)`` pairs), in order.

        No validation and no replacement: for tests, restored state and
        injected profiles. Sequence numbers follow the order given.
        """
        entries = tuple(
            InstalledProfile(evse_id=evse_id, profile=profile, sequence=index)
            for index, (evse_id, profile) in enumerate(profiles)
        )
        return cls(version=to_version(version, "version"), entries=entries)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def profiles(self) -> tuple[ChargingProfile, ...]:
        """The installed profiles."""
        return tuple(entry.profile for entry in self.entries)

    def get(self, profile_id: int) -> InstalledProfile | None:
        """The installed profile with ``profile_id``, if any."""
        for entry in self.entries:
            if entry.profile.id == profile_id:
                return entry
        return None

    def _next_sequence(self) -> int:
        return max((entry.sequence for entry in self.entries), default=-1) + 1

    def _replaced_by(self, profile: ChargingProfile, evse_id: int) -> list[InstalledProfile]:
        if self.version is OcppVersion.V16:
            return [
                entry
                for entry in self.entries
                if entry.profile.id == profile.id
                or (
                    entry.evse_id == evse_id
                    and entry.profile.stack_level == profile.stack_level
                    and entry.profile.purpose is profile.purpose
                )
            ]
        return [entry for entry in self.entries if entry.profile.id == profile.id]

    def put(
        self,
        profile: ChargingProfile,
        evse_id: int,
        *,
        installed_at: datetime | None = None,
        limit_source: str = "CSO",
    ) -> ProfileStore:
        """Store ``profile`` for ``evse_id`` with the version's replacement rule, unvalidated."""
        return self._put(profile, evse_id, installed_at, limit_source)[0]

    def _put(
        self,
        profile: ChargingProfile,
        evse_id: int,
        installed_at: datetime | None,
        limit_source: str,
    ) -> tuple[ProfileStore, tuple[InstalledProfile, ...]]:
        replaced = self._replaced_by(profile, evse_id)
        kept = tuple(entry for entry in self.entries if entry not in replaced)
        entry = InstalledProfile(
            evse_id=evse_id,
            profile=profile,
            sequence=self._next_sequence(),
            installed_at=installed_at,
            limit_source=limit_source,
        )
        return attrs.evolve(self, entries=(*kept, entry)), tuple(replaced)

    def install(
        self,
        profile: ChargingProfile,
        evse_id: int,
        station: Station,
        *,
        source: ProfileSource | str = ProfileSource.SET_CHARGING_PROFILE,
        now: datetime | None = None,
        transactions: Iterable[Transaction] | None = None,
        limit_source: str = "CSO",
    ) -> InstallResult:
        """Validate ``profile`` and store it when accepted (SetChargingProfile).

        Args:
            profile: the received profile.
            evse_id: its EVSE (1.6: connector); 0 for the station.
            station: the station.
            source: the message it came in.
            now: the current time (rate limit, 1.6 missing-startSchedule leniency),
                recorded as the installation time.
            transactions: the active transactions, replacing ``station.transactions``.
            limit_source: the ``chargingLimitSource`` to report it under.
        """
        validation = validate_profile(
            profile,
            evse_id,
            self,
            station,
            source=source,
            now=now,
            transactions=transactions,
        )
        if not validation.accepted:
            return InstallResult(store=self, validation=validation)
        store, replaced = self._put(validation.profile, evse_id, now, limit_source)
        return InstallResult(store=store, validation=validation, replaced=replaced)

    def remove_ids(self, profile_ids: Iterable[int]) -> ProfileStore:
        """A store without the profiles whose ids are in ``profile_ids``."""
        ids = set(profile_ids)
        return attrs.evolve(self, entries=tuple(e for e in self.entries if e.profile.id not in ids))

    def clear(
        self,
        *,
        profile_id: int | None = None,
        evse_id: int | None = None,
        purpose: ProfilePurpose | str | None = None,
        stack_level: int | None = None,
        criteria_given: bool | None = None,
        id_only: bool | None = None,
    ) -> ClearResult:
        """Clear profiles as ClearChargingProfile does in the store's version.

        Args:
            profile_id: 1.6 ``id`` / 2.x ``chargingProfileId``.
            evse_id: 1.6 ``connectorId`` / 2.x ``chargingProfileCriteria.evseId``.
            purpose: ``chargingProfilePurpose``.
            stack_level: ``stackLevel``.
            criteria_given: 2.x: whether a ``chargingProfileCriteria`` object was sent
                (an empty one clears nothing). ``None``: true when a criterion is given.
            id_only: whether an id alone decides, ignoring the other fields.
                ``None`` takes the version's reading: 2.x id only (K10.FR.03/.09);
                1.6 the AND of id and criteria (errata 3.25; libocpp, MicroOcpp and
                open-ocpp use the id alone, ``id_only=True``).

        Raises:
            SmartChargingValueError: ``purpose`` is not a purpose (plain strings and
                the message enums of every version are accepted).
        """
        wanted = _purpose_argument(purpose)
        if self.version is OcppVersion.V16:
            return self._clear_v16(profile_id, evse_id, wanted, stack_level, id_only)
        return self._clear_v2x(
            profile_id=profile_id,
            evse_id=evse_id,
            purpose=wanted,
            stack_level=stack_level,
            criteria_given=criteria_given,
            id_only=id_only,
        )

    def _cleared(self, removed: Sequence[InstalledProfile]) -> ClearResult:
        if not removed:
            return ClearResult(store=self, status=ClearStatus.UNKNOWN)
        store = attrs.evolve(self, entries=tuple(e for e in self.entries if e not in removed))
        return ClearResult(store=store, status=ClearStatus.ACCEPTED, cleared=tuple(removed))

    def _clear_v16(
        self,
        profile_id: int | None,
        evse_id: int | None,
        purpose: ProfilePurpose | None,
        stack_level: int | None,
        id_only: bool | None,
    ) -> ClearResult:
        def matches(entry: InstalledProfile) -> bool:
            if profile_id is not None:
                if entry.profile.id != profile_id:
                    return False
                if id_only:
                    return True
            return (
                (evse_id is None or entry.evse_id == evse_id)
                and (purpose is None or entry.profile.purpose is purpose)
                and (stack_level is None or entry.profile.stack_level == stack_level)
            )

        return self._cleared([entry for entry in self.entries if matches(entry)])

    def _clear_v2x(
        self,
        *,
        profile_id: int | None,
        evse_id: int | None,
        purpose: ProfilePurpose | None,
        stack_level: int | None,
        criteria_given: bool | None,
        id_only: bool | None,
    ) -> ClearResult:
        external = ProfilePurpose.CHARGING_STATION_EXTERNAL_CONSTRAINTS
        if purpose is external:
            # K10.FR.06: external constraints cannot be cleared by the CSMS.
            return ClearResult(store=self, status=ClearStatus.UNKNOWN, reason_code="InvalidValue")
        any_criterion = evse_id is not None or purpose is not None or stack_level is not None
        given = any_criterion if criteria_given is None else criteria_given
        if profile_id is not None and (id_only is None or id_only):
            # K10.FR.03/.09: the id alone decides; K10.FR.04: never external constraints.
            return self._cleared(
                [
                    entry
                    for entry in self.entries
                    if entry.profile.id == profile_id and entry.profile.purpose is not external
                ]
            )
        if given and not any_criterion and profile_id is None:
            return ClearResult(store=self, status=ClearStatus.UNKNOWN)

        def matches(entry: InstalledProfile) -> bool:
            return (
                entry.profile.purpose is not external
                and (profile_id is None or entry.profile.id == profile_id)
                and (evse_id is None or entry.evse_id == evse_id)
                and (purpose is None or entry.profile.purpose is purpose)
                and (stack_level is None or entry.profile.stack_level == stack_level)
            )

        return self._cleared([entry for entry in self.entries if matches(entry)])

    def query(
        self,
        *,
        request_id: int = 0,
        evse_id: int | None = None,
        purpose: ProfilePurpose | str | None = None,
        stack_level: int | None = None,
        profile_ids: Sequence[int] = (),
        limit_sources: Sequence[str] = (),
    ) -> QueryResult:
        """Select profiles as GetChargingProfiles does (2.x, K09).

        ``evse_id`` 0 selects the station-wide profiles only (K09.FR.05), another
        EVSE only its own (K09.FR.04), ``None`` all. With ``profile_ids`` only the
        ids (and the EVSE) filter; otherwise the AND of purpose, stack level and
        limit source. ``purpose`` may be a plain string or a message enum of any version.

        Raises:
            SmartChargingValueError: ``purpose`` is not a purpose.
        """
        wanted = _purpose_argument(purpose)

        def matches(entry: InstalledProfile) -> bool:
            if evse_id is not None and entry.evse_id != evse_id:
                return False
            if profile_ids:
                return entry.profile.id in profile_ids
            return (
                (wanted is None or entry.profile.purpose is wanted)
                and (stack_level is None or entry.profile.stack_level == stack_level)
                and (not limit_sources or entry.limit_source in limit_sources)
            )

        selected = [entry for entry in self.entries if matches(entry)]
        if not selected:
            return QueryResult(status=QueryStatus.NO_PROFILES)
        groups: dict[tuple[int, str], list[ChargingProfile]] = {}
        for entry in selected:
            groups.setdefault((entry.evse_id, entry.limit_source), []).append(entry.profile)
        keys = list(groups)
        reports = tuple(
            ProfileReport(
                request_id=request_id,
                evse_id=key[0],
                limit_source=key[1],
                profiles=tuple(groups[key]),
                tbc=index < len(keys) - 1,
            )
            for index, key in enumerate(keys)
        )
        return QueryResult(status=QueryStatus.ACCEPTED, reports=reports)

    def end_transaction(self, transaction: Transaction) -> ProfileStore:
        """A store without the TxProfiles of ``transaction`` (K02.FR.05).

        2.x: TxProfiles naming its id. 1.6: every TxProfile on its connector
        (libocpp, MicroOcpp and open-ocpp alike).
        """

        def belongs(entry: InstalledProfile) -> bool:
            profile = entry.profile
            if profile.purpose is not ProfilePurpose.TX:
                return False
            if self.version is OcppVersion.V16:
                return entry.evse_id == transaction.evse_id
            return (
                profile.transaction_id is not None
                and profile.transaction_id == transaction.transaction_id
            )

        return attrs.evolve(self, entries=tuple(e for e in self.entries if not belongs(e)))

    def drop_offline_invalid(self, offline_seconds: int) -> tuple[ProfileStore, tuple[int, ...]]:
        """2.1: remove profiles made invalid by being offline ``offline_seconds``.

        Those with ``invalidAfterOfflineDuration`` whose ``maxOfflineDuration`` is
        exceeded. Returns the new store and the removed ids.
        """
        removed = tuple(
            entry.profile.id
            for entry in self.entries
            if entry.profile.invalid_after_offline_duration
            and entry.profile.max_offline_duration is not None
            and (
                offline_seconds > entry.profile.max_offline_duration
                or entry.profile.max_offline_duration == 0
            )
        )
        return self.remove_ids(removed), removed
