"""The Shopify Admin API adapter: GraphQL over requests, throttling handled, plain values out."""

from worker.adapters.shopify.client import ShopifyClient
from worker.adapters.shopify.port import (
    FulfillmentOrder,
    FulfillmentOrderLine,
    ProductFacts,
    ReturnLine,
    ReturnRequest,
    ShopifyPort,
    legacy_id,
    to_gid,
)
from worker.adapters.shopify.transport import ShopifyError, ShopifyNotFound, ShopifyUserError

__all__ = [
    "FulfillmentOrder",
    "FulfillmentOrderLine",
    "ProductFacts",
    "ReturnLine",
    "ReturnRequest",
    "ShopifyClient",
    "ShopifyError",
    "ShopifyNotFound",
    "ShopifyPort",
    "ShopifyUserError",
    "legacy_id",
    "to_gid",
]
