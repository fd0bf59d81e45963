"""Return records with their policy decision, refund records, and the product facts the decisions read."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, String, Table, Text, UniqueConstraint

from worker.adapters.tables import Document, UTCDateTime, metadata

returns = Table(
    "returns",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("shop", String(255), nullable=False, index=True),
    Column("return_id", BigInteger, nullable=False),
    Column("order_id", BigInteger, index=True),
    Column("status", String(30), nullable=False, index=True),  # where the record stands in our workflow
    Column("shopify_status", String(20)),  # requested, open, declined, canceled, closed
    Column("reason", Text),  # why a return is held without a decision
    Column("decision", String(20)),  # approved, declined, partial, review; a staff override replaces it
    Column("evaluation", Document),  # the engine's answer as decision_to_json renders it
    Column("request", Document),  # what Shopify said the customer asked for
    Column("policy_name", String(100)),
    Column("policy_version", String(32)),
    Column("action_id", Integer),  # the outbox action written with the decision, if any
    Column("overrides", Document, nullable=False),  # [{by, at, why, old_decision, decision}], oldest first
    # The inspection stage: request (none yet), awaiting_parcel, inspection_review, inspected, proposed,
    # refund_sent, refunded
    Column("stage", String(30)),
    Column("inspection", Document),  # {lines: {line item id: {dispositions: {type: units}, form, by, at}}}
    Column("outcome", Document),  # the engine's answer on the facts found, with the policy's version and the plan
    Column("proposal", Document),  # {revision, plan, by, why, at, history: [earlier proposals]}
    Column("refund_action_id", Integer),  # the outbox action performing the refund (returnProcess)
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("shop", "return_id", name="uq_returns_shop_return"),
)

refunds = Table(
    "refunds",
    metadata,
    Column("shop", String(255), primary_key=True),
    Column("id", BigInteger, primary_key=True),
    Column("order_id", BigInteger, nullable=False, index=True),
    Column("return_id", BigInteger),
    Column("lines", Document, nullable=False),  # [{line_item_id, quantity, subtotal, total_tax}] amounts as strings
    Column("shipping_refunded", String(32), nullable=False),
    Column("transactions", Document, nullable=False),  # [{amount, kind, gateway, status}]
    Column("total", String(32), nullable=False),
    Column("currency", String(3)),
    Column("created_at", UTCDateTime),
    Column("recorded_at", UTCDateTime, nullable=False),
)

product_facts = Table(
    "product_facts",
    metadata,
    Column("shop", String(255), primary_key=True),
    Column("product_id", BigInteger, primary_key=True),
    Column("product_type", String(255), nullable=False),
    Column("tags", Document, nullable=False),
    Column("fetched_at", UTCDateTime, nullable=False),
)
