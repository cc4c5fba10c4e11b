"""The CSMS's view of a site between messages: sessions, installed profiles, offers.

:class:`SiteState` is what every reaction takes and returns (a new value each
time, never changed in place): the :class:`~ocpp_core.energy.Site`, one
:class:`Track` per EV session (the planner's :class:`~ocpp_core.energy.Session`
plus what the CSMS must remember about it: meter start, ISO 15118 offers,
renegotiations), the profiles the CSMS believes each station holds (one
:class:`~ocpp_core.smart_charging.ProfileStore` per station, in the station's
version) and the SetChargingProfile requests still waiting for an answer.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import attrs

from ocpp_core.energy._model import Policy, Session, Site, TransactionId
from ocpp_core.errors import SiteError
from ocpp_core.smart_charging import (
    ChargingProfile,
    ChargingSchedule,
    InstalledProfile,
    ProfileStore,
    Transaction,
)

__all__ = [
    "ControlMode",
    "CsmsSettings",
    "PendingProfile",
    "SiteState",
    "Track",
]


class ControlMode(enum.StrEnum):
    """How an ISO 15118 session is steered (2.1 ``controlMode``)."""

    SCHEDULED = "ScheduledControl"
    """The EV picks one of the offered schedules (SAScheduleTuples) and follows it."""
    DYNAMIC = "DynamicControl"
    """The CSMS updates one setpoint/limit as it goes (2.1 Dynamic profiles)."""


def _c_control(value: object) -> ControlMode | None:
    if value is None:
        return None
    raw = value.value if isinstance(value, enum.Enum) else value
    for member in ControlMode:
        if member.value == raw:
            return member
    raise SiteError("control_mode", f"{value!r:.40} is not ScheduledControl or DynamicControl")


@attrs.frozen(kw_only=True)
class Track:
    """One EV session as the CSMS follows it."""

    session: Session
    """The planner's view: EVSE, arrival, departure, energy, EV limits, measurements."""
    meter_start_wh: float | None = None
    """The energy register at the start of the transaction (delivered = register - start)."""
    iso15118: bool = False
    """True once the EV has sent its charging needs (NotifyEVChargingNeeds)."""
    max_schedule_tuples: int = 1
    """How many schedules (SAScheduleTuples) the EV accepts."""
    control_mode: ControlMode | None = attrs.field(default=None, converter=_c_control)
    """2.1 control mode; ``None`` before 2.1 or when the EV did not say."""
    bidirectional: bool = False
    """2.1: the EV asked for a bidirectional (BPT) energy transfer."""
    offered: tuple[ChargingSchedule, ...] = ()
    """The schedules last offered to the EV (the ISO 15118 SAScheduleTuples)."""
    renegotiations: int = 0
    """Renegotiations asked because the EV's schedule went beyond the offer."""
    priority_charging: bool = False
    """2.1: the driver asked for priority charging."""

    @property
    def key(self) -> tuple[str, int]:
        """``(station_id, evse_id)``."""
        return self.session.key

    @property
    def transaction_id(self) -> TransactionId | None:
        """The transaction, if any."""
        return self.session.transaction_id


@attrs.frozen(kw_only=True)
class PendingProfile:
    """A SetChargingProfile request sent and not yet answered."""

    station_id: str
    """The station it went to."""
    evse_id: int
    """Its EVSE (0: the station)."""
    profile: ChargingProfile
    """The profile sent."""
    previous: InstalledProfile | None
    """What the station held under that id before (restored if this one is refused)."""
    attempt: int = 0
    """0 for the first request; n for the n-th fallback."""
    tried: tuple[str, ...] = ()
    """The fallback steps already taken (``unit``, ``stack-level``, ``purpose``)."""


@attrs.frozen(kw_only=True)
class CsmsSettings:
    """The CSMS's choices when it turns decisions into requests."""

    stack_level: int = 1
    """Stack level of the profiles the CSMS sends (capped by the station's maximum)."""
    profile_id_base: int = 100000
    """Profile ids are ``base + 1000 x purpose + EVSE`` (purpose 1 TxProfile, 2
    TxDefaultProfile, 3 station maximum, 4 PriorityCharging), as
    :func:`~ocpp_core.energy.to_requests` makes them: deterministic, so a new profile
    replaces the old under every version's rules."""
    max_fallbacks: int = 3
    """Most fallback requests after a Rejected SetChargingProfile, per profile."""
    max_renegotiations: int = 2
    """Most renegotiations per session when the EV's schedule goes beyond the offer."""
    max_schedule_tuples: int = 3
    """Most schedules offered to an EV (the schemas allow 3 per TxProfile)."""
    dyn_update_interval_s: int = 60
    """2.1 Dynamic profiles: how often the station should pull an update."""
    horizon_s: int | None = None
    """``None``: share the capacity of the instant (:func:`~ocpp_core.energy.allocate`)
    and send one-period profiles. A number of seconds: plan that far ahead
    (:func:`~ocpp_core.energy.plan`, deadline-aware, in the policy's slots) and send
    the plan's schedules made by :func:`~ocpp_core.energy.to_requests`."""

    def __attrs_post_init__(self) -> None:
        for name in ("stack_level", "profile_id_base", "max_fallbacks", "max_renegotiations"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise SiteError(name, "expected a non-negative integer")
        if not 1 <= self.max_schedule_tuples <= 3:
            raise SiteError("max_schedule_tuples", "expected 1, 2 or 3")
        if self.horizon_s is not None and (
            isinstance(self.horizon_s, bool)
            or not isinstance(self.horizon_s, int)
            or self.horizon_s <= 0
        ):
            raise SiteError("horizon_s", "expected a positive number of seconds or None")
        if self.profile_id_base < 1:
            raise SiteError("profile_id_base", "must be at least 1")


def _tuple_tracks(value: Iterable[Track]) -> tuple[Track, ...]:
    return tuple(value)


def _tuple_stores(
    value: Iterable[tuple[str, ProfileStore]],
) -> tuple[tuple[str, ProfileStore], ...]:
    return tuple((str(k), v) for k, v in value)


def _tuple_pending(value: Iterable[PendingProfile]) -> tuple[PendingProfile, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class SiteState:
    """Everything a reaction needs to know about the site between two messages.

    Build one with just a site; reactions return the next state in their result.
    """

    site: Site
    """The site (external limits included)."""
    tracks: tuple[Track, ...] = attrs.field(default=(), converter=_tuple_tracks)
    """The sessions in progress, one per EVSE at most."""
    installed: tuple[tuple[str, ProfileStore], ...] = attrs.field(
        default=(), converter=_tuple_stores
    )
    """``(station_id, store)``: the profiles the CSMS believes each station holds."""
    pending: tuple[PendingProfile, ...] = attrs.field(default=(), converter=_tuple_pending)
    """SetChargingProfile requests not answered yet."""
    policy: Policy = attrs.field(factory=Policy)
    """How the planner shares capacity."""
    settings: CsmsSettings = attrs.field(factory=CsmsSettings)
    """How decisions become requests."""

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.site, Site):
            raise SiteError("site", "expected a Site")
        self.site.check_sessions(t.session for t in self.tracks)

    @property
    def sessions(self) -> tuple[Session, ...]:
        """The planner's sessions."""
        return tuple(t.session for t in self.tracks)

    def track_on(self, station_id: str, evse_id: int) -> Track | None:
        """The session on an EVSE, if any."""
        for track in self.tracks:
            if track.key == (station_id, evse_id):
                return track
        return None

    def track_of(self, station_id: str, transaction_id: TransactionId) -> Track | None:
        """The session of a transaction at a station, if any (ids compared as text)."""
        for track in self.tracks:
            tid = track.transaction_id
            if track.key[0] == station_id and tid is not None and str(tid) == str(transaction_id):
                return track
        return None

    def store(self, station_id: str) -> ProfileStore:
        """The profiles the CSMS believes ``station_id`` holds (empty at first)."""
        for key, store in self.installed:
            if key == station_id:
                return store
        version = self.site.station(station_id).version
        return ProfileStore(version=version)

    def transactions(self, station_id: str) -> tuple[Transaction, ...]:
        """The station engine's view of the transactions running at ``station_id``."""
        return tuple(
            Transaction(
                evse_id=t.key[1], started_at=t.session.arrival, transaction_id=t.transaction_id
            )
            for t in self.tracks
            if t.key[0] == station_id and t.transaction_id is not None
        )

    def with_track(self, track: Track) -> SiteState:
        """A state where ``track`` replaces the session on its EVSE."""
        kept = tuple(t for t in self.tracks if t.key != track.key)
        return attrs.evolve(self, tracks=(*kept, track))

    def without_track(self, key: tuple[str, int]) -> SiteState:
        """A state without the session on EVSE ``key``."""
        return attrs.evolve(self, tracks=tuple(t for t in self.tracks if t.key != key))

    def with_store(self, station_id: str, store: ProfileStore) -> SiteState:
        """A state where ``station_id`` holds ``store``."""
        kept = tuple((k, v) for k, v in self.installed if k != station_id)
        return attrs.evolve(self, installed=(*kept, (station_id, store)))
