"""The Shopify Admin API adapter: GraphQL over requests, throttling handled, plain values out."""

from worker.adapters.shopify.client import ShopifyClient
from worker.adapters.shopify.port import (
    FulfillmentSummary,
    OrderSummary,
    ProductFacts,
    ReturnLine,
    ReturnRequest,
    ReturnSummary,
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
    "FulfillmentOrder",
    "FulfillmentOrderLine",
    "FulfillmentSummary",
    "OrderSummary",
    "ProductFacts",
    "ReturnLine",
    "ReturnRequest",
    "ReturnSummary",
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
