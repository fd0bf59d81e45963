"""The multi-location split planner: which location ships which units of an order, and why."""

from worker.domain.split.explain import priority_first_packages
from worker.domain.split.json_io import plan_input_from_json, plan_to_json
from worker.domain.split.model import (
    Backorder,
    Location,
    OrderLine,
    Shipment,
    ShipmentLine,
    SplitInput,
    SplitInputError,
    SplitPlan,
)
from worker.domain.split.planner import plan_split

__all__ = [
    "Backorder",
    "Location",
    "OrderLine",
    "Shipment",
    "ShipmentLine",
    "SplitInput",
    "SplitInputError",
    "SplitPlan",
    "plan_input_from_json",
    "plan_split",
    "plan_to_json",
    "priority_first_packages",
]
