"""The Shopify Admin API adapter: GraphQL over requests, throttling handled, plain values out."""

from worker.adapters.shopify.client import ShopifyClient
from worker.adapters.shopify.port import (
    DisposedLine,
    FulfillmentSummary,
    OrderSummary,
    ProductFacts,
    RefundToProcess,
    ReturnLine,
    ReturnRequest,
    ReturnSummary,
    ReverseFulfillmentOrder,
    ShopifyPort,
    topic_enum_name,
)
from worker.adapters.shopify.transport import (
    ShopifyError,
    ShopifyNotFound,
    ShopifyOutcomeUnknown,
    ShopifyUnauthorized,
    ShopifyUserError,
    TokenSource,
)
from worker.domain.ids import legacy_id, to_gid
from worker.domain.split.execution import FulfillmentOrder, FulfillmentOrderLine

__all__ = [
    "DisposedLine",
    "FulfillmentOrder",
    "FulfillmentOrderLine",
    "FulfillmentSummary",
    "OrderSummary",
    "ProductFacts",
    "RefundToProcess",
    "ReturnLine",
    "ReturnRequest",
    "ReturnSummary",
    "ReverseFulfillmentOrder",
    "ShopifyClient",
    "ShopifyError",
    "ShopifyNotFound",
    "ShopifyOutcomeUnknown",
    "ShopifyPort",
    "ShopifyUnauthorized",
    "ShopifyUserError",
    "TokenSource",
    "legacy_id",
    "to_gid",
    "topic_enum_name",
]
