"""Local smart charging: a local controller splits the CSMS's group limit over its stations.

Theory of operation
-------------------
In OCPP's Local Smart Charging use case (1.6 section 3.13.3; 2.x K03, K14) the
CSMS talks to a *local controller* as if it were one charging station, and the
controller talks to the stations behind it. The CSMS limits the whole group
with a station-wide maximum on the controller's EVSE 0
(1.6 ``ChargePointMaxProfile`` on connector 0, 2.x ``ChargingStationMaxProfile``
on EVSE 0). The controller must keep its stations under that limit at every
instant and share it fairly.

:func:`split_group_limit` does that on the controller's own
:class:`~ocpp_core.energy.SiteState` (its stations are the site's stations,
its feeder the root circuit): the group profile is turned into a limit over
time by the station engine itself (the composite schedule of a store holding
only that profile, so Recurring and Relative profiles and validity windows mean
exactly what they mean to a station), put in the site as a site-wide external
limit named ``group:<controller>``, and the site is re-shared. The result holds
the SetChargingProfile answer for the CSMS and one request per child EVSE whose
share changed, each in the child's own version.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import attrs

from ocpp_core.energy._model import ExternalLimit, Limit, LimitSchedule, LimitScope
from ocpp_core.energy._reactions import (
    Reaction,
    _check_now,
    _mod,
    _replan,
    _status_info,
    _version_of,
)
from ocpp_core.energy._state import SiteState
from ocpp_core.smart_charging import (
    ChargingRateUnit,
    Evse,
    ProfilePurpose,
    ProfileStore,
    Station,
    composite_schedule,
    set_charging_profile_from_ocpp,
    validate_profile,
)
from ocpp_core.versions import OcppVersion

__all__ = ["clear_group_limit", "group_limit_id", "split_group_limit"]

_NO_LIMIT = 1e12
_DAY = 86400


def group_limit_id(controller_id: str) -> str:
    """The id of the external limit that holds a controller's group limit."""
    return f"group:{controller_id}"


def _controller_station() -> Station:
    # A station whose defaults never bind: the composite then shows the profile alone.
    return Station(
        evses=(Evse(id=1),),
        default_limit_a=_NO_LIMIT,
        default_limit_w=_NO_LIMIT,
    )


def _answer(version: OcppVersion, accepted: bool, reason: str | None = None) -> Any:
    mod = _mod(version)
    if version is OcppVersion.V16:
        return mod.SetChargingProfileResponse(
            status=mod.ChargingProfileStatus("Accepted" if accepted else "Rejected")
        )
    kwargs: dict[str, Any] = {
        "status": mod.ChargingProfileStatusEnum("Accepted" if accepted else "Rejected")
    }
    if not accepted and reason is not None and version is not OcppVersion.V20:
        kwargs["status_info"] = _status_info(version, reason)
    return mod.SetChargingProfileResponse(**kwargs)


def split_group_limit(
    state: SiteState,
    controller_id: str,
    request: Any,
    now: datetime,
    *,
    horizon_s: int = _DAY,
) -> Reaction:
    """A local controller receives its group limit and splits it over its child stations.

    Args:
        state: the controller's state: its child stations are the site's stations.
        controller_id: the controller's identity (names the group limit).
        request: the SetChargingProfileRequest the CSMS sent to the controller (any
            version): a ChargePointMaxProfile / ChargingStationMaxProfile on EVSE 0.
        now: the current time.
        horizon_s: how far ahead the group profile is followed (its composite
            over ``[now, now + horizon_s)``; afterwards its last value holds).

    Returns:
        The SetChargingProfile response for the CSMS; a request per child EVSE whose
        share changed, in the child's version; the new state; the explanation.
        Any other purpose or EVSE is answered Rejected (reasonCode
        ``UnsupportedPurpose``), as is a profile the station engine refuses
        (with its rule), and nothing is sent to the children.

    Raises:
        ReactionError: ``request`` is not a SetChargingProfileRequest, ``now`` is naive.
    """
    version = _version_of(request, ("SetChargingProfileRequest",))
    moment = _check_now(now)
    notes: list[str] = []
    try:
        neutral = set_charging_profile_from_ocpp(request)
    except (TypeError, ValueError) as exc:
        notes.append(f"{controller_id}: profile not readable ({exc}): Rejected")
        return Reaction(
            response=_answer(version, False, "InvalidProfile"),
            requests=(),
            state=state,
            explanation=notes,
        )
    profile = neutral.profile
    if neutral.evse_id != 0 or profile.purpose is not ProfilePurpose.CHARGING_STATION_MAX:
        notes.append(
            f"{controller_id}: {profile.purpose.value} on EVSE {neutral.evse_id} is not a group "
            "limit (a station maximum on EVSE 0): Rejected"
        )
        return Reaction(
            response=_answer(version, False, "UnsupportedPurpose"),
            requests=(),
            state=state,
            explanation=notes,
        )
    station = _controller_station()
    store_version = OcppVersion.V201 if version is OcppVersion.V20 else version
    check = validate_profile(profile, 0, ProfileStore(version=store_version), station, now=moment)
    if not check.accepted:
        notes.append(f"{controller_id}: group profile refused: {check.describe()}")
        return Reaction(
            response=_answer(version, False, check.reason_code or "InvalidProfile"),
            requests=(),
            state=state,
            explanation=notes,
        )
    store = ProfileStore(version=store_version).put(check.profile, 0, installed_at=moment)
    unit = profile.schedules[0].charging_rate_unit
    composite = composite_schedule(store, station, 0, moment, horizon_s, unit)
    points: list[tuple[datetime, Limit]] = []
    if composite.schedule is not None:
        for period in composite.schedule.periods:
            at = moment + timedelta(seconds=period.start_period)
            if period.limit >= _NO_LIMIT:
                value = Limit()
            elif unit is ChargingRateUnit.A:
                value = Limit(current_a=period.limit)
            else:
                value = Limit(power_w=period.limit)
            if not points or points[-1][1] != value:
                points.append((at, value))
    limit_id = group_limit_id(controller_id)
    site = state.site.without_external_limit(limit_id)
    if points:
        site = site.with_external_limit(
            ExternalLimit(
                id=limit_id,
                source="CSO",
                scope=LimitScope.SITE,
                schedule=LimitSchedule(points=points),
            )
        )
    state = attrs.evolve(state, site=site)
    first = points[0][1] if points else Limit()
    shown = (
        f"{first.current_a[0]:g} A per phase"
        if first.current_a is not None
        else f"{first.power_w:g} W"
        if first.power_w is not None
        else "no limit"
    )
    notes.append(
        f"{controller_id}: group limit {profile.id} accepted: {shown} now, "
        f"{len(points)} step(s) over {horizon_s} s"
    )
    state, out = _replan(state, moment, notes)
    return Reaction(response=_answer(version, True), requests=out, state=state, explanation=notes)


def clear_group_limit(state: SiteState, controller_id: str, now: datetime) -> Reaction:
    """The CSMS cleared the controller's group limit: drop it and re-share.

    The caller answers the ClearChargingProfile itself (it knows which profiles
    it held); this returns no response, the requests for the children and the
    new state.
    """
    moment = _check_now(now)
    limit_id = group_limit_id(controller_id)
    notes: list[str] = []
    if all(x.id != limit_id for x in state.site.external_limits):
        notes.append(f"{controller_id}: no group limit to clear")
        return Reaction(response=None, requests=(), state=state, explanation=notes)
    state = attrs.evolve(state, site=state.site.without_external_limit(limit_id))
    notes.append(f"{controller_id}: group limit cleared")
    state, out = _replan(state, moment, notes)
    return Reaction(response=None, requests=out, state=state, explanation=notes)
