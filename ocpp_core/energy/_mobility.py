"""The CSMS's side of a session's mobility needs (a driver app, a fleet policy).

ISO 15118-20 lets the EV say who decides its departure time and target energy
(2.1 ``mobilityNeedsMode``): ``EVCC``, the EV alone, or ``EVCC_SECC``, the EV and
the station or CSMS. :func:`set_mobility_needs` records what the CSMS knows
(:class:`~ocpp_core.energy.MobilityNeeds`: a departure time from the driver's
app, an energy or target SoC, a minimum energy, a maximum SoC) and re-shares;
the needs count only where the CSMS may set them: for a session whose EV sent
no charging needs, or said ``EVCC_SECC``. Otherwise they are kept (they apply
if the EV later says ``EVCC_SECC``) and the explanation says why they are not
used.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from ocpp_core.energy._reactions import Reaction, _check_now, _explain_mobility, _replan
from ocpp_core.energy._state import MobilityNeeds, SiteState
from ocpp_core.errors import ReactionError, SiteError

__all__ = ["set_mobility_needs"]


def set_mobility_needs(
    state: SiteState,
    station_id: str,
    evse_id: int,
    needs: MobilityNeeds | None,
    now: datetime,
) -> Reaction:
    """The CSMS sets (or, with ``None``, clears) a session's mobility needs, and re-shares.

    Args:
        state: the current state.
        station_id: the station of the session.
        evse_id: its EVSE.
        needs: what the CSMS says the session needs; ``None`` forgets it.
        now: the current time (an aware datetime).

    Returns:
        No response; the requests of the re-shared site (a 2.1 TxProfile carries a
        maximum SoC as ``limitAtSoC`` where the station supports it); the new state;
        the explanation (whether the needs apply, and why).

    Raises:
        ReactionError: ``now`` is naive, there is no session on that EVSE, or
            ``needs`` is not a :class:`~ocpp_core.energy.MobilityNeeds`.
        SiteError: the departure is not after ``now``.
    """
    moment = _check_now(now)
    if needs is not None and not isinstance(needs, MobilityNeeds):
        raise ReactionError("needs", f"expected MobilityNeeds or None, got {type(needs).__name__}")
    track = state.track_on(station_id, evse_id)
    if track is None:
        raise ReactionError("evse_id", f"no session on {station_id}#{evse_id}")
    if needs is not None and needs.departure is not None and needs.departure <= moment:
        raise SiteError("departure", f"{needs.departure.isoformat()} is not after now")
    where = f"{station_id}#{evse_id}"
    notes = [f"{where}: mobility needs " + ("cleared" if needs is None else "set by the CSMS")]
    track = attrs.evolve(track, csms_needs=needs)
    state = state.with_track(track)
    _explain_mobility(track, state.settings.max_soc, where, notes)
    state, out = _replan(state, moment, notes)
    return Reaction(response=None, requests=out, state=state, explanation=notes)
