"""The records store: everything the worker writes to or reads from the database goes through here."""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Table,
    Text,
    and_,
    bindparam,
    cast,
    delete,
    exists,
    func,
    insert,
    null,
    or_,
    select,
    update,
)

from config.logs import REDACTED
from queueing.payloads import PayloadError
from worker.adapters.db import Database, Span, insert_for, order_rows, run, upsert, upsert_statement, within
from worker.adapters.tables import data_exports, events, fulfillments, line_items, metadata, orders, outbox
from worker.adapters.tables.privacy import (
    KEPT_BY_SHOP_REDACT,
    audit_log,
    redacted_customers,
    redacted_orders,
    redacted_shops,
)
from worker.domain.events import Event, parse_time
from worker.domain.ids import to_gid
from worker.domain.privacy import Forgotten

PERSONAL_KEYS = frozenset(
    {
        "email",
        "contact_email",
        "phone",
        "customer",
        "billing_address",
        "client_details",
        "browser_ip",
        "first_name",
        "last_name",
        "name_on_card",
        "note_attributes",
        "destination",
        "note",
        "customer_note",
        "properties",  # a line item's engraving, gift message or monogram
        "order_status_url",  # holds the key to the customer's order status page
        "landing_site",
        "referring_site",
        # Where a fulfillment event happened: the customer's door, as often as not.
        "address1",
        "address2",
        "city",
        "zip",
        "company",
        "latitude",
        "longitude",
    }
)
PRIVACY_TOPICS = ("customers/redact", "customers/data_request")
STATUS_COLUMNS = frozenset({"shop", "id", "delivered_at", "shipment_status", "shipment_status_at"})
KEPT_ADDRESS_KEYS = frozenset({"country_code", "province_code", "country"})


def screened(topic: str, payload: dict[str, Any]) -> dict[str, Any]:
    """An event's payload as the worker may hold it once its customer was redacted: scrubbed, a privacy request
    keeping the customer's id, enough to carry it out again."""
    scrubbed: dict[str, Any] = scrub_personal_data(payload)
    customer = payload.get("customer")
    if topic in PRIVACY_TOPICS and isinstance(customer, dict) and "id" in customer:
        scrubbed["customer"] = {"id": customer["id"]}
    return scrubbed


def error_kind(text: str | None) -> str | None:
    """A recorded error reduced to its kind (`KeyError: ...` to `KeyError: [redacted]`): its text may quote the
    customer's data."""
    if not text:
        return text
    kind = re.match(r"[A-Za-z_][\w.]*(?=:)", text)
    return f"{kind.group(0)}: {REDACTED}" if kind else REDACTED


def scrub_personal_data(value: Any) -> Any:
    """A copy without anything that identifies a person; a shipping address keeps only its country and province,
    which the split planner and the late-delivery calendar still need."""
    if isinstance(value, list):
        return [scrub_personal_data(item) for item in value]
    if not isinstance(value, dict):
        return value
    scrubbed = {}
    for key, item in value.items():
        if key in PERSONAL_KEYS:
            continue
        if key == "shipping_address" and isinstance(item, dict):
            scrubbed[key] = {k: v for k, v in item.items() if k in KEPT_ADDRESS_KEYS}
        else:
            scrubbed[key] = scrub_personal_data(item)
    return scrubbed


@dataclass(frozen=True)
class EventRecord:
    id: int
    shop: str
    topic: str
    event_id: str
    status: str
    attempts: int
    source: str
    order_id: int | None
    received_at: datetime
    processed_at: datetime | None
    last_error: str | None
    payload: dict[str, Any] | None  # None once pruned after EVENT_RETENTION_DAYS


def _event_record(row: Any) -> EventRecord:
    return EventRecord(**{name: getattr(row, name) for name in EventRecord.__dataclass_fields__})


@dataclass(frozen=True)
class ExportRecord:
    """A customer's data export, written for one of Shopify's data requests; `content` only when read alone."""

    id: int
    shop: str
    customer_id: int
    data_request_id: int | None
    requested_at: datetime
    order_count: int
    content: dict[str, Any] | None = None


_EXPORT_COLUMNS = tuple(data_exports.c[name] for name in list(ExportRecord.__dataclass_fields__)[:-1])


def _export_record(row: Any, content: dict[str, Any] | None = None) -> ExportRecord:
    return ExportRecord(*(row[index] for index in range(len(_EXPORT_COLUMNS))), content=content)


def _tables_by_order() -> Iterator[tuple[Table, Any]]:
    """Each table holding rows about a shop's orders, with the column naming the order."""
    for table in metadata.sorted_tables:
        order_column = table.c.id if table is orders else table.c.get("order_id")
        if order_column is not None and "shop" in table.c:
            yield table, order_column


def _plain(rows: Iterable[Any]) -> list[dict[str, Any]]:
    """Rows as JSON can hold them: times in ISO-8601."""
    return [
        {key: value.isoformat() if isinstance(value, datetime) else value for key, value in row._mapping.items()}
        for row in rows
    ]


@functools.cache
def _log_event_statement(dialect: str) -> Any:
    """Built once: its ON CONFLICT clause costs more to build than to run. A delivery seen again (a retry, a
    replay) counts one more attempt and keeps the payload first logged."""
    insert = insert_for(dialect, events)
    return insert.on_conflict_do_update(
        index_elements=["shop", "topic", "event_id"],
        set_={name: insert.excluded[name] for name in ("status", "last_error", "processed_at", "source")}
        | {"attempts": events.c.attempts + 1},
    )


_SET_EVENT_STATUS = (
    update(events)
    .where(*(events.c[key] == bindparam(f"the_{key}") for key in ("shop", "topic", "event_id")))
    .values(status=bindparam("new_status"), last_error=bindparam("new_error"))
)
_DROP_LINES = delete(line_items).where(
    line_items.c.shop == bindparam("shop"), line_items.c.order_id == bindparam("order_id")
)
_ORDER_PAYLOAD = select(orders.c.payload).where(orders.c.shop == bindparam("shop"), orders.c.id == bindparam("id"))


@functools.cache
def _tombstones_statement() -> Any:
    """Built once: every event is checked against the tombstones, and building the statement costs more than
    running it."""
    shop = bindparam("shop")
    redacted_at = select(redacted_shops.c.redacted_at).where(redacted_shops.c.shop == shop).scalar_subquery()
    customer = exists().where(
        redacted_customers.c.shop == shop, redacted_customers.c.customer_id == bindparam("customer_id")
    )
    order = exists().where(redacted_orders.c.shop == shop, redacted_orders.c.order_id == bindparam("order_id"))
    return select(redacted_at, or_(customer, order))


class Records:
    def __init__(self, db: Database) -> None:
        self.db = db

    # The event log -------------------------------------------------------------------------------------------

    def log_event(self, event: Event, status: str, error: str | None = None) -> None:
        """The delivery with its outcome, or one more attempt at it. Inside a job it commits with the job's
        records; a failed job's row is written after its rollback, by a statement of its own, so the event can
        be replayed whatever the handler did."""
        row = {
            "shop": event.shop,
            "topic": event.topic,
            "event_id": event.event_id,
            "webhook_id": event.webhook_id,
            "order_id": event.order_id,
            "triggered_at": event.triggered_at,
            "api_version": event.api_version,
            "received_at": event.received_at,
            "source": event.source,
            "status": status,
            "attempts": 1,
            "last_error": error,
            "processed_at": datetime.now(UTC),
            "payload": event.payload,
        }
        with self.db.connect() as connection:
            self.db.later(connection, _log_event_statement(connection.dialect.name), row)

    def set_event_status(self, event: Event, status: str, error: str | None = None) -> None:
        key = {"the_shop": event.shop, "the_topic": event.topic, "the_event_id": event.event_id}
        with self.db.connect() as connection:
            self.db.later(connection, _SET_EVENT_STATUS, {**key, "new_status": status, "new_error": error})

    def get_event(self, event_row: int) -> EventRecord | None:
        with self.db.connect() as connection:
            row = connection.execute(select(events).where(events.c.id == event_row)).first()
        return _event_record(row) if row else None

    def list_events(
        self,
        shop: str | None = None,
        topic: str | None = None,
        status: str | None = None,
        order_id: int | None = None,
        limit: int = 50,
        offset: int = 0,
        received: Span = (None, None),
    ) -> list[EventRecord]:
        """Newest first; `received` bounds when they arrived (from inclusive, until exclusive)."""
        query = select(events).order_by(events.c.id.desc()).limit(limit).offset(offset)
        for column, value in (("shop", shop), ("topic", topic), ("status", status), ("order_id", order_id)):
            if value is not None:
                query = query.where(events.c[column] == value)
        query = query.where(*within(events.c.received_at, received))
        with self.db.connect() as connection:
            return [_event_record(row) for row in connection.execute(query)]

    def prune_payloads(self, processed_before: datetime, batch: int = 1000) -> int:
        """Drop the payloads of events processed (or found stale) before the moment, keeping their records; a
        failed or unfinished event keeps its payload for replay. Batches of its own transaction each, so the log
        is never locked for long. Returns how many payloads were dropped."""
        due = (
            select(events.c.id)
            .where(
                events.c.payload.isnot(None),
                events.c.processed_at < processed_before,
                events.c.status.in_(("processed", "stale")),
            )
            .limit(batch)
            .scalar_subquery()
        )
        pruned = 0
        while True:
            with self.db.begin() as connection:
                done = connection.execute(update(events).where(events.c.id.in_(due)).values(payload=null())).rowcount
            pruned += done
            if done < batch:
                return pruned

    # Orders and fulfillments ---------------------------------------------------------------------------------

    def find_orders(self, name: str, shop: str | None = None) -> list[tuple[str, int]]:
        """(shop, order id) of the orders with this name (`#1001`), as Shopify shows them; one per shop at most."""
        query = select(orders.c.shop, orders.c.id).where(orders.c.name == name).order_by(orders.c.shop)
        if shop is not None:
            query = query.where(orders.c.shop == shop)
        with self.db.connect() as connection:
            return [(row.shop, row.id) for row in connection.execute(query)]

    def order_shops(self, order_id: int) -> list[str]:
        """The shops holding an order with this id (ids are Shopify's, one shop's at most in practice)."""
        query = select(orders.c.shop).where(orders.c.id == order_id).order_by(orders.c.shop)
        with self.db.connect() as connection:
            return list(connection.execute(query).scalars())

    def order_names(self, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], str]:
        """The names of the orders held among these (shop, order id) pairs."""
        wanted = set(keys)
        if not wanted:
            return {}
        query = select(orders.c.shop, orders.c.id, orders.c.name).where(
            orders.c.id.in_({order_id for _shop, order_id in wanted})
        )
        with self.db.connect() as connection:
            rows = connection.execute(query)
            return {(row.shop, row.id): row.name for row in rows if (row.shop, row.id) in wanted and row.name}

    def save_order(self, shop: str, order: dict[str, Any]) -> bool:
        """Upsert the order and its lines; False when the stored order is newer (a stale event changes nothing)."""
        updated_at = parse_time(order.get("updated_at"))
        if updated_at is None:  # a job queued before the receiver required it, or its replay: no retry can help
            raise PayloadError("the order has no updated_at, which orders its versions")
        customer = order.get("customer") or {}
        row = {
            "shop": shop,
            "id": order["id"],
            "name": order.get("name"),
            "customer_id": customer.get("id"),
            "email": order.get("email") or order.get("contact_email"),
            "currency": order.get("currency"),
            "total_price": order.get("total_price"),
            "financial_status": order.get("financial_status"),
            "fulfillment_status": order.get("fulfillment_status"),
            "cancelled_at": parse_time(order.get("cancelled_at")),
            "created_at": parse_time(order.get("created_at")),
            "updated_at": updated_at,
            "payload": order,
        }
        with self.db.begin() as connection:
            written = upsert(connection, orders, [row], ["shop", "id"], unless_older="updated_at")
            if not written:
                return False
            lines = [
                {
                    "shop": shop,
                    "id": line["id"],
                    "order_id": order["id"],
                    "product_id": line.get("product_id"),
                    "variant_id": line.get("variant_id"),
                    "title": line.get("title"),
                    "sku": line.get("sku"),
                    "quantity": line.get("quantity", 0),
                    "current_quantity": line.get("current_quantity"),
                    "price": line.get("price"),
                    "requires_shipping": int(bool(line.get("requires_shipping", True))),
                }
                for line in order.get("line_items", [])
            ]
            # The order's lines replaced, with the job's next statement or its commit.
            self.db.later(connection, _DROP_LINES, {"shop": shop, "order_id": order["id"]})
            if lines:
                lines_upsert = upsert_statement(connection.dialect.name, line_items, lines[0], ["shop", "id"])
                self.db.later(connection, lines_upsert, lines)
        return True

    def get_order(self, shop: str, order_id: int) -> dict[str, Any] | None:
        with self.db.connect() as connection:
            return connection.execute(_ORDER_PAYLOAD, {"shop": shop, "id": order_id}).scalar()

    def order_fulfillments(self, shop: str, order_id: int) -> list[dict[str, Any]]:
        """The order's fulfillments as recorded, first shipped first."""
        return order_rows(self.db, fulfillments, shop, order_id, fulfillments.c.shipped_at)

    def save_fulfillment(self, shop: str, fulfillment: dict[str, Any]) -> bool:
        """Upsert a fulfillment; a delivery, once known, is never forgotten by a later or stale update."""
        updated_at = parse_time(fulfillment.get("updated_at")) or parse_time(fulfillment.get("created_at"))
        status = fulfillment.get("shipment_status")
        row = {
            "shop": shop,
            "id": fulfillment["id"],
            "order_id": fulfillment["order_id"],
            "location_id": fulfillment.get("location_id"),
            "status": fulfillment.get("status"),
            "shipment_status": status,
            "shipment_status_at": updated_at if status else None,
            "tracking_company": fulfillment.get("tracking_company"),
            "tracking_numbers": fulfillment.get("tracking_numbers") or [],
            "tracking_urls": fulfillment.get("tracking_urls") or [],
            "shipped_at": parse_time(fulfillment.get("created_at")),
            "delivered_at": updated_at if status == "delivered" else None,
            "updated_at": updated_at,
            "line_items": [
                {"id": line.get("id"), "quantity": line.get("quantity")} for line in fulfillment.get("line_items", [])
            ],
        }
        with self.db.begin() as connection:
            written = upsert(
                connection,
                fulfillments,
                [row],
                ["shop", "id"],
                update=[c for c in row if c not in STATUS_COLUMNS],
                unless_older="updated_at",
            )
            if status:
                self._set_shipment_status(connection, shop, fulfillment["id"], status, updated_at)
        return bool(written)

    def record_shipment_status(self, shop: str, order_id: int, fulfillment_id: int, status: str, at: datetime) -> bool:
        """A carrier event: moves the fulfillment's status forward in time only; creates the row if the event
        arrives before the fulfillment itself."""
        with self.db.begin() as connection:
            upsert(
                connection,
                fulfillments,
                [{"shop": shop, "id": fulfillment_id, "order_id": order_id}],
                ["shop", "id"],
                update=[],
            )
            return self._set_shipment_status(connection, shop, fulfillment_id, status, at)

    @staticmethod
    def _set_shipment_status(connection: Any, shop: str, fulfillment_id: int, status: str, at: datetime | None) -> bool:
        key = and_(fulfillments.c.shop == shop, fulfillments.c.id == fulfillment_id)
        newer = or_(fulfillments.c.shipment_status_at.is_(None), fulfillments.c.shipment_status_at <= at)
        changed = connection.execute(
            update(fulfillments).where(key, newer).values(shipment_status=status, shipment_status_at=at)
        ).rowcount
        if status == "delivered":
            connection.execute(
                update(fulfillments)
                .where(key, or_(fulfillments.c.delivered_at.is_(None), fulfillments.c.delivered_at > at))
                .values(delivered_at=at)
            )
        return bool(changed)

    def get_fulfillment(self, shop: str, fulfillment_id: int) -> dict[str, Any] | None:
        with self.db.connect() as connection:
            row = connection.execute(
                select(fulfillments).where(fulfillments.c.shop == shop, fulfillments.c.id == fulfillment_id)
            ).first()
        return dict(row._mapping) if row else None

    # Privacy ---------------------------------------------------------------------------------------------------

    def _customer_orders(
        self, connection: Any, shop: str, customer_id: int, order_ids: Iterable[int], contacts: Iterable[str] = ()
    ) -> list[int]:
        held_by = [orders.c.customer_id == customer_id, orders.c.id.in_(list(order_ids))]
        if contacts := list(contacts):
            held_by.append(func.lower(orders.c.email).in_(contacts))
        return list(connection.execute(select(orders.c.id).where(orders.c.shop == shop, or_(*held_by))).scalars())

    @staticmethod
    def _events_quoting(connection: Any, forgotten: Forgotten) -> list[Any]:
        """The shop's logged events whose payload quotes the customer's e-mail or phone, their own privacy requests
        aside: a guest's order, or a shipment of an order neither stored nor listed by Shopify."""
        if not forgotten.contacts:
            return []
        text = func.lower(cast(events.c.payload, Text))
        return list(
            connection.execute(
                select(events.c.id, events.c.order_id).where(
                    events.c.shop == forgotten.shop,
                    events.c.topic.not_in(PRIVACY_TOPICS),
                    or_(*(text.contains(contact, autoescape=True) for contact in forgotten.contacts)),
                )
            )
        )

    def redact_customer(self, forgotten: Forgotten, at: datetime) -> tuple[frozenset[int], Counter[str]]:
        """Remove the customer's personal data from every record about their orders (order, logged events and
        their errors, returns, actions...) and from their own privacy requests; the business facts (amounts,
        lines, shipments) stay. The orders are those held under the customer's id or e-mail, those Shopify lists,
        held as an order or not (a guest checkout has no customer id; a shipment or refund can arrive without its
        order), and those of any logged event quoting the customer's e-mail or phone. A tombstone of the customer
        and these orders is kept (see `tombstones`). Returns the orders and the rows changed, by table."""
        shop, customer_id = forgotten.shop, forgotten.customer_id
        changed: Counter[str] = Counter()
        with self.db.begin() as connection:
            self._redact_requests(connection, shop, customer_id)
            quoting = self._events_quoting(connection, forgotten)
            ids = sorted(
                {
                    *self._customer_orders(connection, shop, customer_id, forgotten.order_ids, forgotten.contacts),
                    *forgotten.order_ids,
                    *(row.order_id for row in quoting if row.order_id is not None),
                }
            )
            self._tombstone(connection, forgotten, ids, at)
            for table, order_column in _tables_by_order():
                texts = [column for column in table.c if isinstance(column.type, JSON) or column.name == "last_error"]
                if not texts:
                    continue
                about = order_column.in_(ids)
                if table is events:
                    about = or_(about, events.c.id.in_([row.id for row in quoting]))
                keys = list(table.primary_key.columns)
                for row in connection.execute(select(*keys, *texts).where(table.c.shop == shop, about)).mappings():
                    values: dict[str, Any] = {
                        c.name: error_kind(row[c.name]) if c.name == "last_error" else scrub_personal_data(row[c.name])
                        for c in texts
                    }
                    if table is orders:
                        values.update(email=None, customer_id=None)
                    connection.execute(update(table).where(*(k == row[k.name] for k in keys)).values(**values))
                    changed[table.name] += 1
            changed[outbox.name] += self._redact_actions(connection, shop, [f"gid://shopify/Order/{i}" for i in ids])
            changed[data_exports.name] += connection.execute(
                delete(data_exports).where(data_exports.c.shop == shop, data_exports.c.customer_id == customer_id)
            ).rowcount
        return frozenset(ids), +changed

    @staticmethod
    def _tombstone(connection: Any, forgotten: Forgotten, order_ids: list[int], at: datetime) -> None:
        shop, customer_id = forgotten.shop, forgotten.customer_id
        upsert(
            connection,
            redacted_customers,
            [{"shop": shop, "customer_id": customer_id, "redacted_at": at}],
            ["shop", "customer_id"],
        )
        upsert(
            connection,
            redacted_orders,
            [{"shop": shop, "order_id": order_id, "customer_id": customer_id} for order_id in order_ids],
            ["shop", "order_id"],
            update=[],
        )

    def tombstones(self, shop: str, customer_id: int | None, order_id: int | None) -> tuple[datetime | None, bool]:
        """When the shop was redacted (None: never), and whether the customer or the order was: what an event
        must be checked against before anything of it is written."""
        with self.db.connect() as connection:
            ids = {"shop": shop, "customer_id": customer_id, "order_id": order_id}
            [(redacted_at, redacted)] = run(connection, _tombstones_statement(), ids).all()
        return redacted_at, bool(redacted)

    @staticmethod
    def _redact_requests(connection: Any, shop: str, customer_id: int) -> None:
        """Shopify's privacy requests name the customer by e-mail and phone too; their logged copies keep only the
        customer's id and the orders listed, enough to replay the redaction."""
        for row in Records._requests_of(connection, shop, customer_id):
            payload = {**scrub_personal_data(row.payload), "customer": {"id": customer_id}}
            connection.execute(update(events).where(events.c.id == row.id).values(payload=payload))

    @staticmethod
    def _requests_of(connection: Any, shop: str, customer_id: int) -> list[Any]:
        """The logged privacy requests naming the customer (a pruned payload names no one)."""
        rows = connection.execute(select(events).where(events.c.shop == shop, events.c.topic.in_(PRIVACY_TOPICS)))
        return [
            row
            for row in rows
            if isinstance(customer := (row.payload or {}).get("customer"), dict) and customer.get("id") == customer_id
        ]

    @staticmethod
    def _redact_actions(connection: Any, shop: str, order_gids: list[str]) -> int:
        """Actions aimed at the customer's orders lose their personal data and their errors' text; those not yet
        sent are cancelled, so nothing of the customer's is pushed back to Shopify after the request."""
        rows = connection.execute(
            select(outbox.c.id, outbox.c.params, outbox.c.status, outbox.c.last_error).where(
                outbox.c.shop == shop, outbox.c.target.in_(order_gids)
            )
        ).all()
        for row in rows:
            values: dict[str, Any] = {
                "params": scrub_personal_data(row.params),
                "last_error": error_kind(row.last_error),
            }
            if row.status == "pending":
                values["status"] = "cancelled"
            connection.execute(update(outbox).where(outbox.c.id == row.id).values(**values))
        return len(rows)

    def redact_shop(self, shop: str, at: datetime) -> Counter[str]:
        """Everything we hold for the shop, in every area's tables, but the tombstones and the audit (which hold no
        personal data); the shop's own tombstone is written. Returns the rows deleted, by table."""
        deleted: Counter[str] = Counter()
        with self.db.begin() as connection:
            for table in reversed(metadata.sorted_tables):
                if "shop" in table.c and not table.info.get(KEPT_BY_SHOP_REDACT):
                    deleted[table.name] += connection.execute(delete(table).where(table.c.shop == shop)).rowcount
            upsert(connection, redacted_shops, [{"shop": shop, "redacted_at": at}], ["shop"])
        return +deleted

    def audit(self, shop: str, topic: str, event_id: str, counts: dict[str, int], at: datetime) -> None:
        """What a destructive request removed, counted by place; kept whatever is redacted later."""
        with self.db.connect() as connection:
            connection.execute(
                insert(audit_log).values(shop=shop, topic=topic, event_id=event_id, done_at=at, counts=dict(counts))
            )

    def export_customer(
        self, shop: str, customer_id: int, order_ids: Iterable[int], request_id: int | None, requested_at: datetime
    ) -> ExportRecord:
        """Write everything we hold about the customer for the merchant to hand over: each row about their orders
        in every area's table (the orders as stored, their lines, fulfillments, returns, refunds, late flags and
        cases, split plans, the logged events with their payloads), the Shopify actions aimed at those orders and
        their returns (notes, tags, decisions), and the customer's own privacy requests. The orders are those held
        under the customer's id and those Shopify lists, held as an order or not. A replay writes it again."""
        listed = list(order_ids)
        key = {"shop": shop, "customer_id": customer_id, "data_request_id": request_id}
        this_request = [data_exports.c[name] == value for name, value in key.items()]
        with self.db.begin() as connection:
            # Written again (a replay), the export keeps when it was first asked for: the day to answer counts from it.
            requested_at = connection.execute(select(data_exports.c.requested_at).where(*this_request)).scalar() or (
                requested_at
            )
            ids = sorted({*self._customer_orders(connection, shop, customer_id, listed), *listed})
            content: dict[str, Any] = {**key, "requested_at": requested_at.isoformat(), "orders_requested": listed}
            for table, order_column in _tables_by_order():
                query = select(table).where(table.c.shop == shop, order_column.in_(ids))
                content[table.name] = _plain(connection.execute(query.order_by(*table.primary_key.columns)))
            returns = [row["return_id"] for row in content.get("returns", [])]
            targets = [to_gid("Order", order_id) for order_id in ids] + [to_gid("Return", r) for r in returns]
            content[outbox.name] = _plain(
                connection.execute(
                    select(outbox).where(outbox.c.shop == shop, outbox.c.target.in_(targets)).order_by(outbox.c.id)
                )
            )
            content["privacy_requests"] = _plain(self._requests_of(connection, shop, customer_id))
            row = {**key, "created_at": datetime.now(UTC), "requested_at": requested_at, "content": content}
            upsert(connection, data_exports, [{**row, "order_count": len(content[orders.name])}], list(key))
            stored = connection.execute(select(*_EXPORT_COLUMNS).where(*this_request)).one()
        return _export_record(stored)

    def list_exports(
        self, shop: str | None = None, limit: int = 50, offset: int = 0, requested: Span = (None, None)
    ) -> list[ExportRecord]:
        """Newest request first, without their content."""
        query = (
            select(*_EXPORT_COLUMNS)
            .where(*within(data_exports.c.requested_at, requested))
            .order_by(data_exports.c.requested_at.desc(), data_exports.c.id.desc())
        )
        if shop is not None:
            query = query.where(data_exports.c.shop == shop)
        with self.db.connect() as connection:
            return [_export_record(row) for row in connection.execute(query.limit(limit).offset(offset))]

    def get_export(self, export_id: int) -> ExportRecord | None:
        with self.db.connect() as connection:
            row = connection.execute(
                select(*_EXPORT_COLUMNS, data_exports.c.content).where(data_exports.c.id == export_id)
            ).first()
        return _export_record(row, row.content) if row else None

    def count(self, table_name: str, shop: str | None = None) -> int:
        table = metadata.tables[table_name]
        query = select(func.count()).select_from(table)
        if shop:
            query = query.where(table.c.shop == shop)
        with self.db.connect() as connection:
            return connection.execute(query).scalar_one()
