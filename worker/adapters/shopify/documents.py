"""The GraphQL documents the adapter sends (Admin API 2026-04), each under its own operation name.

Page sizes keep every query's requested cost well under Shopify's 1,000-point ceiling for a single query:
nested connections multiply, so connections that sit inside others are paged in small steps.
"""

FETCH_RETURN = """
query FetchReturn($id: ID!, $after: String) {
  return(id: $id) {
    id
    status
    createdAt
    order { id }
    exchangeLineItems(first: 1) { nodes { id } }
    returnLineItems(first: 50, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id
        quantity
        customerNote
        ... on ReturnLineItem {
          returnReasonDefinition { handle }
          fulfillmentLineItem { lineItem { id } }
        }
      }
    }
  }
}
"""

RETURN_STATUS = """
query ReturnStatus($id: ID!) {
  return(id: $id) { id status }
}
"""

_LINE_ITEM_FIELDS = """
      pageInfo { hasNextPage endCursor }
      nodes {
        id
        name
        sku
        quantity
        currentQuantity
        requiresShipping
        isGiftCard
        originalUnitPriceSet { shopMoney { amount } }
        variant { id }
        product { id }
        discountAllocations {
          allocatedAmountSet { shopMoney { amount } }
          discountApplication { index }
        }
        taxLines { priceSet { shopMoney { amount } } }
      }
"""

FETCH_ORDER = (
    """
query FetchOrder($id: ID!) {
  order(id: $id) {
    id
    name
    currencyCode
    createdAt
    updatedAt
    processedAt
    cancelledAt
    tags
    note
    taxesIncluded
    customAttributes { key value }
    shippingAddress { countryCodeV2 }
    refunds(first: 5) { refundLineItems(first: 10) { nodes { lineItem { id } quantity } } }
    discountApplications(first: 20) {
      nodes {
        __typename
        index
        allocationMethod
        targetType
        value {
          ... on MoneyV2 { amount }
          ... on PricingPercentageValue { percentage }
        }
        ... on DiscountCodeApplication { code }
      }
    }
    shippingLines(first: 10) {
      nodes {
        title
        code
        source
        originalPriceSet { shopMoney { amount } }
        discountedPriceSet { shopMoney { amount } }
        discountAllocations {
          allocatedAmountSet { shopMoney { amount } }
          discountApplication { index }
        }
      }
    }
    fulfillments(first: 10) {
      id
      status
      displayStatus
      createdAt
      updatedAt
      deliveredAt
      fulfillmentLineItems(first: 5) { pageInfo { hasNextPage } nodes { lineItem { id } quantity } }
    }
    lineItems(first: 50) {"""
    + _LINE_ITEM_FIELDS
    + """    }
  }
}
"""
)

FETCH_ORDER_LINE_ITEMS = (
    """
query FetchOrderLineItems($id: ID!, $after: String) {
  order(id: $id) {
    lineItems(first: 50, after: $after) {"""
    + _LINE_ITEM_FIELDS
    + """    }
  }
}
"""
)

FETCH_PRODUCT_FACTS = """
query FetchProductFacts($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on Product { id productType tags }
  }
}
"""

FETCH_FULFILLMENT_ORDERS = """
query FetchFulfillmentOrders($id: ID!, $after: String) {
  order(id: $id) {
    fulfillmentOrders(first: 5, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id
        status
        assignedLocation { location { id } }
        lineItems(first: 50) {
          nodes {
            id
            remainingQuantity
            lineItem { id }
            variant { id }
          }
        }
      }
    }
  }
}
"""

FULFILLMENT_ORDER_LOCATION = """
query FulfillmentOrderLocation($id: ID!) {
  fulfillmentOrder(id: $id) {
    id
    status
    assignedLocation { location { id } }
  }
}
"""

FETCH_INVENTORY = """
query FetchInventory($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on ProductVariant {
      id
      inventoryItem {
        inventoryLevels(first: 20) {
          nodes {
            location { id }
            quantities(names: ["available"]) { name quantity }
          }
        }
      }
    }
  }
}
"""

FETCH_WEBHOOK_SUBSCRIPTIONS = """
query FetchWebhookSubscriptions($after: String) {
  webhookSubscriptions(first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id topic uri }
  }
}
"""

# Shop-specific subscriptions, for apps whose subscriptions are not declared in shopify.app.toml.
CREATE_WEBHOOK_SUBSCRIPTION = """
mutation CreateWebhookSubscription($topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}
"""

# The access scopes the shop granted this app, for `shopworker shops check`.
CURRENT_APP_SCOPES = """
query CurrentAppScopes {
  currentAppInstallation {
    accessScopes { handle }
  }
}
"""

# Reconciliation lists what changed cheaply (about 2 + 25 x (1 + 10 + 7) points a page) and reads the full order
# or fulfillment only for what the records do not reflect yet.
ORDERS_UPDATED_SINCE = """
query OrdersUpdatedSince($query: String!, $after: String) {
  orders(first: 25, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id
      updatedAt
      fulfillments(first: 10) { id updatedAt }
      returns(first: 5) { nodes { id status } }
    }
  }
}
"""

COUNT_ORDERS_UPDATED_SINCE = """
query CountOrdersUpdatedSince($query: String!) {
  ordersCount(query: $query) { count precision }
}
"""

FETCH_FULFILLMENT = """
query FetchFulfillment($id: ID!, $after: String) {
  fulfillment(id: $id) {
    id
    name
    status
    displayStatus
    createdAt
    updatedAt
    deliveredAt
    order { id }
    location { id }
    trackingInfo(first: 10) { company number url }
    fulfillmentLineItems(first: 50, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { id quantity lineItem { id } }
    }
  }
}
"""

APPROVE_RETURN = """
mutation ApproveReturn($input: ReturnApproveRequestInput!) {
  returnApproveRequest(input: $input) {
    return { id status }
    userErrors { field message code }
  }
}
"""

DECLINE_RETURN = """
mutation DeclineReturn($input: ReturnDeclineRequestInput!) {
  returnDeclineRequest(input: $input) {
    return { id status }
    userErrors { field message code }
  }
}
"""

MOVE_FULFILLMENT_ORDER = """
mutation MoveFulfillmentOrder($id: ID!, $newLocationId: ID!, $lines: [FulfillmentOrderLineItemInput!]) {
  fulfillmentOrderMove(id: $id, newLocationId: $newLocationId, fulfillmentOrderLineItems: $lines) {
    movedFulfillmentOrder { id status assignedLocation { location { id } } }
    originalFulfillmentOrder { id status }
    userErrors { field message code }
  }
}
"""

SPLIT_FULFILLMENT_ORDER = """
mutation SplitFulfillmentOrder($splits: [FulfillmentOrderSplitInput!]!) {
  fulfillmentOrderSplit(fulfillmentOrderSplits: $splits) {
    fulfillmentOrderSplits {
      fulfillmentOrder { id status }
      remainingFulfillmentOrder { id status }
      replacementFulfillmentOrder { id status }
    }
    userErrors { field message code }
  }
}
"""

HOLD_FULFILLMENT_ORDER = """
mutation HoldFulfillmentOrder($id: ID!, $hold: FulfillmentOrderHoldInput!) {
  fulfillmentOrderHold(id: $id, fulfillmentHold: $hold) {
    fulfillmentHold { id handle reason }
    fulfillmentOrder { id status }
    remainingFulfillmentOrder { id status }
    userErrors { field message code }
  }
}
"""

ADD_TAGS = """
mutation AddTags($id: ID!, $tags: [String!]!) {
  tagsAdd(id: $id, tags: $tags) {
    node { id }
    userErrors { field message }
  }
}
"""

SET_ORDER_NOTE = """
mutation SetOrderNote($input: OrderInput!) {
  orderUpdate(input: $input) {
    order { id note }
    userErrors { field message }
  }
}
"""

# A disposition names only its reverse fulfillment order: which return it belongs to is read from the order's
# returns, and what each line's dispositions say is read here, never taken from the webhook.
FETCH_REVERSE_FULFILLMENT_ORDER = """
query FetchReverseFulfillmentOrder($id: ID!) {
  reverseFulfillmentOrder(id: $id) {
    id
    status
    order {
      id
      returns(first: 10) { nodes { id reverseFulfillmentOrders(first: 5) { nodes { id } } } }
    }
    lineItems(first: 50) {
      nodes {
        id
        totalQuantity
        fulfillmentLineItem { lineItem { id } }
        dispositions { id type quantity }
      }
    }
  }
}
"""

# What processing a return needs: its lines (with what is processed already) and the order's payments to refund.
RETURN_FOR_PROCESSING = """
query ReturnForProcessing($id: ID!) {
  return(id: $id) {
    id
    status
    order {
      id
      transactions(first: 20) { id kind status gateway amountSet { shopMoney { amount currencyCode } } }
    }
    returnLineItems(first: 50) {
      nodes {
        id
        quantity
        processedQuantity
        ... on ReturnLineItem { fulfillmentLineItem { lineItem { id } } }
      }
    }
    exchangeLineItems(first: 50) { nodes { id processableQuantity } }
  }
}
"""

PROCESS_RETURN = """
mutation ProcessReturn($input: ReturnProcessInput!) {
  returnProcess(input: $input) {
    return { id status }
    userErrors { field message code }
  }
}
"""
