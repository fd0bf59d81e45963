"""One plain sentence per line decision, taken from its most telling reason, for the merchant to read."""

from __future__ import annotations

from collections.abc import Mapping

from worker.domain.returns.decision import LineVerdict

_SENTENCES = {
    "already_returned": "Only {available} of the {asked} units asked for are still returnable; the others were "
    "already returned or refunded.",
    "outside_window": "Asked {days} days after {anchor}, past the {window_days}-day return window.",
    "final_sale": "The item is tagged as a sale or final-sale item, which the store does not take back.",
    "excluded_category": "The store does not take back this kind of product.",
    "customized": "The item was made to order or personalised, which the store does not take back.",
    "discount_over_limit": (
        "The item was bought with a discount above {discount_limit} %, which makes it non-refundable."
    ),
    "condition_not_met": "The item's stated condition, packaging, tags or accessories do not meet the store's terms.",
    "needs_inspection": "The item's condition was not stated; a person should inspect it before deciding.",
    "product_unknown": "The product's type and tags are unknown, so a person should check the exclusions.",
    "delivery_unknown": "Neither the delivery nor the fulfillment date is known, so a person should check the window.",
    "delivery_estimated": "No delivery scan: the window counts from an estimated delivery on {estimate}, so a person "
    "should confirm the date.",
    "discount_unknown": "The line's discount does not say whether it came from a discount code above "
    "{discount_limit} %, so a person should check.",
    "warranty": "Past the {window_days}-day window, the lifetime warranty covers quality problems: a person decides "
    "the remedy, and no refund is granted by rule.",
    "photos_required": "The store asks for photos of a defective or wrong item before accepting it.",
    "defect_reported_late": "The problem was reported after the store's deadline, so a person should decide.",
    "defect_exception": "A defective or wrong item is taken back under the store's defect terms.",
    "late_window": "Asked after the {window_days}-day window but within {late_until} days with a valid reason, "
    "so {percent} % is refunded.",
    "partial_refund": "The packaging or accessories fall short of the store's terms, so {percent} % is refunded.",
    "no_exchanges": "The store does not offer this exchange, so the item is refunded and can be reordered.",
    "gift_store_credit": "A gift shipped to its recipient is returned as store credit.",
    "not_returned": "Shopify's disposition says the item never came back, so nothing is refunded for it.",
    "contradictory_facts": "The inspection and Shopify's disposition disagree about the item, so a person should "
    "decide.",
    "units_missing": "Some units never came back; only the {asked} returned are refunded.",
    "postage_deducted": "The {postage} postage the store paid on this free-shipping order is kept from the refund.",
}
_IN_REVIEW = {
    "defect_exception": "The store asks customers to contact it about defects, so a person should decide.",
    "late_window": "Asked {days} days after {anchor}, after the {window_days}-day window but within {late_until} days: "
    "up to {percent} % if a person accepts the reason for the delay.{note}",
}
_ELIGIBLE = "Eligible: asked within the {window_days}-day window and meeting the store's terms."
_PRIORITY = (
    "units_missing",
    "postage_deducted",
    "defect_exception",
    "late_window",
    "partial_refund",
    "no_exchanges",
    "gift_store_credit",
)


def explain(decision: LineVerdict, reasons: tuple[str, ...], values: Mapping[str, object]) -> str:
    if decision == "approved":
        chosen = next((r for r in _PRIORITY if r in reasons), None)
    else:
        chosen = next((r for r in reasons if r in _SENTENCES), None)
    if chosen is None:
        return _ELIGIBLE.format_map(values)
    sentences = _IN_REVIEW if decision == "review" and chosen in _IN_REVIEW else _SENTENCES
    return sentences[chosen].format_map(values)
