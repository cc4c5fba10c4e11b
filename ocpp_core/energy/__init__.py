"""Energy management for the CSMS side: share a site's capacity among its EVs.

Pure functions over frozen values (no I/O, no clock: times are arguments):

* the model: a :class:`Site` (a tree of :class:`Circuit` with per-phase current
  and power limits, limit schedules and base loads; :class:`SiteStation` with the
  station engine's capabilities; :class:`SiteEvse` with wiring and rate range),
  :class:`Session`, :class:`ExternalLimit` and :class:`Policy`;
* :func:`allocate`: the load balancer, one instant, hierarchical and per phase,
  weighted max-min fair with semi-continuous minimums, each EVSE's result
  naming what bound it;
* :func:`plan`: piecewise-constant schedules per EVSE over a horizon, by a fast
  deadline-aware greedy planner or an optimal LP planner (the ``lp`` extra), each
  reporting unmet energy and what bound it; V2G: both plan discharging on OCPP 2.1
  EVSEs (deficit cover; with the LP also price arbitrage and peak shaving) within
  battery floors, export limits and departure goals; :func:`lp_upper_bound`;
* :func:`to_requests`: typed SetChargingProfile requests per station version (1.6,
  2.0, 2.0.1, 2.1; discharges as 2.1 CentralSetpoint periods), rounded down, merged
  to fit, diffed against what is installed and checked back through the station
  engine;
* the CSMS's reactions (:func:`on_transaction_event`, :func:`on_ev_charging_needs`,
  :func:`on_notify_charging_limit`, :func:`on_set_charging_profile_response`, ...):
  a received message and the :class:`SiteState` in, a :class:`Reaction` out (the
  response, the requests to send per station in its version, the new state and
  an explanation);
* local smart charging: :func:`split_group_limit` shares a local controller's group
  limit (a station maximum on its EVSE 0) over its child stations.

See ``docs/energy.md`` for how limits flow down the tree, what fair means and
what happens when not everything fits.
"""

from ocpp_core.energy._allocate import allocate
from ocpp_core.energy._chart import plan_svg
from ocpp_core.energy._local import clear_group_limit, group_limit_id, split_group_limit
from ocpp_core.energy._lp import lp_upper_bound
from ocpp_core.energy._mobility import set_mobility_needs
from ocpp_core.energy._model import (
    GRID_PHASES,
    BelowMinimum,
    Circuit,
    ExternalLimit,
    FairUnit,
    Limit,
    LimitSchedule,
    LimitScope,
    Objective,
    PhaseType,
    Policy,
    Session,
    Site,
    SiteEvse,
    SiteStation,
    TransactionId,
)
from ocpp_core.energy._plan import plan
from ocpp_core.energy._reactions import (
    Outgoing,
    Reaction,
    on_cleared_charging_limit,
    on_ev_charging_needs,
    on_ev_charging_schedule,
    on_meter_values,
    on_notify_charging_limit,
    on_notify_priority_charging,
    on_pull_dynamic_schedule_update,
    on_set_charging_profile_response,
    on_start_transaction,
    on_stop_transaction,
    on_transaction_event,
    replan,
    request_priority_charging,
)
from ocpp_core.energy._requests import ProfileRequest, RequestSet, to_requests
from ocpp_core.energy._results import (
    Allocation,
    Binding,
    BindingKind,
    CircuitLoad,
    Discharge,
    DischargeReason,
    EvseAllocation,
    EvsePlan,
    LimitViolation,
    Plan,
    PlanMethod,
    PlanPeriod,
    SessionOutcome,
)
from ocpp_core.energy._sitefile import SiteFile, site_from_json
from ocpp_core.energy._state import (
    ControlMode,
    CsmsSettings,
    MobilityNeeds,
    MobilityNeedsMode,
    PendingProfile,
    SiteState,
    Track,
    V2xSetting,
)

__all__ = [
    "GRID_PHASES",
    "Allocation",
    "BelowMinimum",
    "Binding",
    "BindingKind",
    "Circuit",
    "CircuitLoad",
    "ControlMode",
    "CsmsSettings",
    "Discharge",
    "DischargeReason",
    "EvseAllocation",
    "EvsePlan",
    "ExternalLimit",
    "FairUnit",
    "Limit",
    "LimitSchedule",
    "LimitScope",
    "LimitViolation",
    "MobilityNeeds",
    "MobilityNeedsMode",
    "Objective",
    "Outgoing",
    "PendingProfile",
    "PhaseType",
    "Plan",
    "PlanMethod",
    "PlanPeriod",
    "Policy",
    "ProfileRequest",
    "Reaction",
    "RequestSet",
    "Session",
    "SessionOutcome",
    "Site",
    "SiteEvse",
    "SiteFile",
    "SiteState",
    "SiteStation",
    "Track",
    "TransactionId",
    "V2xSetting",
    "allocate",
    "clear_group_limit",
    "group_limit_id",
    "lp_upper_bound",
    "on_cleared_charging_limit",
    "on_ev_charging_needs",
    "on_ev_charging_schedule",
    "on_meter_values",
    "on_notify_charging_limit",
    "on_notify_priority_charging",
    "on_pull_dynamic_schedule_update",
    "on_set_charging_profile_response",
    "on_start_transaction",
    "on_stop_transaction",
    "on_transaction_event",
    "plan",
    "plan_svg",
    "replan",
    "request_priority_charging",
    "set_mobility_needs",
    "site_from_json",
    "split_group_limit",
    "to_requests",
]
