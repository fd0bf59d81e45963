"""Which webhook topics we act on, and the RQ job (by dotted path) that handles each one.

Jobs are named by path so that the web process never imports worker code.
"""

from __future__ import annotations

ORDER_JOB = "worker.jobs.order_event"
FULFILLMENT_JOB = "worker.jobs.fulfillment_event"
RETURN_JOB = "worker.jobs.return_event"
COMPLIANCE_JOB = "worker.jobs.compliance_event"

JOB_FOR_TOPIC: dict[str, str] = {
    "orders/create": ORDER_JOB,
    "orders/updated": ORDER_JOB,
    "orders/paid": ORDER_JOB,
    "orders/cancelled": ORDER_JOB,
    "orders/fulfilled": ORDER_JOB,
    "orders/partially_fulfilled": ORDER_JOB,
    "orders/edited": ORDER_JOB,
    "fulfillments/create": FULFILLMENT_JOB,
    "fulfillments/update": FULFILLMENT_JOB,
    "fulfillment_events/create": FULFILLMENT_JOB,
    "fulfillment_orders/order_routing_complete": ORDER_JOB,
    "refunds/create": RETURN_JOB,
    "returns/request": RETURN_JOB,
    "returns/approve": RETURN_JOB,
    "returns/decline": RETURN_JOB,
    "returns/cancel": RETURN_JOB,
    "returns/close": RETURN_JOB,
    "returns/reopen": RETURN_JOB,
    "returns/update": RETURN_JOB,
    "returns/process": RETURN_JOB,
    "reverse_fulfillment_orders/dispose": RETURN_JOB,
    "app/uninstalled": COMPLIANCE_JOB,
    "customers/data_request": COMPLIANCE_JOB,
    "customers/redact": COMPLIANCE_JOB,
    "shop/redact": COMPLIANCE_JOB,
}
