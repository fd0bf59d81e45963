"""Each store's published return policy, one row per sentence, run through its real policy file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from config.policies import load_policy
from worker.domain.returns import ReturnDecision, evaluate_return, parse_products, parse_request

DELIVERED = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # a Monday; the same calendar day in every store's zone
LINE_ID, PRODUCT_ID = 466157049, 632910392
GOOD_LINE = {
    "reason": "size_too_small",
    "preferred_resolution": "refund",
    "condition": "unused",
    "packaging": "original",
    "tags_attached": True,
    "missing_accessories": "none",
    "photos": False,
}


def decide(
    store: str,
    *,
    day: int = 1,
    product_type: str = "Dresses",
    tags: tuple[str, ...] = (),
    discounts: tuple[dict[str, str], ...] = (),
    tax: str | None = None,
    shipping: str = "10.00",
    gift: bool = False,
    to_recipient: bool = False,
    reported_after_hours: int | None = None,
    bought: int = 1,
    returning: int = 1,
    returned_before: int = 0,
    requires_shipping: bool = True,
    dates: dict[str, str] | None = None,
    **line: Any,
) -> ReturnDecision:
    """`returning` of `bought` units of a 45.00 line, delivered on DELIVERED (unless `dates` gives the request's
    delivered_at and fulfilled_at) and asked about `day` days later.

    Each discount is {"type", "value_type", "value", "amount"} as Shopify's discount_applications and the line's
    discount_allocations give it."""
    item: dict[str, Any] = {
        "id": LINE_ID,
        "product_id": PRODUCT_ID,
        "price": "45.00",
        "quantity": bought,
        "gift_card": False,
        "requires_shipping": requires_shipping,
        "discount_allocations": [
            {"amount": d["amount"], "discount_application_index": i} for i, d in enumerate(discounts)
        ],
        "tax_lines": [{"price": tax, "rate": 0.08, "title": "Sales tax"}] if tax else [],
    }
    order = {
        "currency": "USD",
        "taxes_included": False,
        "discount_applications": [
            {"type": d["type"], "value_type": d["value_type"], "value": d["value"], "allocation_method": "across"}
            for d in discounts
        ],
        "line_items": [item],
        "shipping_lines": [{"price": shipping, "discount_allocations": []}],
    }
    fields = {**GOOD_LINE, **line}
    if reported_after_hours is not None:
        fields["reported_at"] = (DELIVERED + timedelta(hours=reported_after_hours)).isoformat()
    request = parse_request(
        {
            "requested_at": (DELIVERED + timedelta(days=day)).isoformat(),
            **({"delivered_at": DELIVERED.isoformat()} if dates is None else dates),
            "gift": gift,
            "gift_shipped_to_recipient": to_recipient,
            "returned_before": {str(LINE_ID): returned_before} if returned_before else {},
            "lines": [
                {"line_item_id": LINE_ID, "quantity": returning, **{k: v for k, v in fields.items() if v is not None}}
            ],
        }
    )
    products = parse_products({str(PRODUCT_ID): {"product_type": product_type, "tags": list(tags)}})
    return evaluate_return(load_policy(store), order, request, products, now=DELIVERED)


def code(percent: str, amount: str) -> dict[str, str]:
    return {"type": "discount_code", "value_type": "percentage", "value": percent, "amount": amount}


def fixed_code(amount: str) -> dict[str, str]:
    return {"type": "discount_code", "value_type": "fixed_amount", "value": amount, "amount": amount}


def automatic(percent: str, amount: str) -> dict[str, str]:
    return {"type": "automatic", "value_type": "percentage", "value": percent, "amount": amount}


def manual(percent: str, amount: str) -> dict[str, str]:
    return {"type": "manual", "value_type": "percentage", "value": percent, "amount": amount}


def rule(sentence: str, expected: dict[str, Any], **scenario: Any) -> Any:
    return pytest.param(scenario, expected, id=sentence)


def refund(percent: int = 100, *reasons: str, resolution: str = "refund", amount: str | None = None) -> dict[str, Any]:
    return {
        "decision": "approved",
        "resolution": resolution,
        "refund_percent": percent,
        "refund_amount": amount or f"{45 * percent / 100:.2f}",
        "reasons": reasons,
    }


def declined(*reasons: str) -> dict[str, Any]:
    return {
        "decision": "declined",
        "resolution": "none",
        "refund_percent": 0,
        "refund_amount": "0.00",
        "currency": "USD",
        "reasons": reasons,
    }


def review(*reasons: str, **shown: Any) -> dict[str, Any]:
    return {"decision": "review", "reasons": reasons, **shown}


def paid_by(payer: str, original_shipping: bool = False) -> dict[str, Any]:
    return {"return_shipping_paid_by": payer, "refund_original_shipping": original_shipping}


def summary(items: str, tax: str, shipping: str, deductions: str, total: str, key: str = "refund") -> dict[str, Any]:
    """The decision's refund (or pending_review) figures, as `returns evaluate` prints them."""
    figures = {"currency": "USD", "items": items, "tax": tax, "shipping": shipping, "deductions": deductions}
    return {key: {**figures, "total": total}}


def check(store: str, scenario: dict[str, Any], expected: dict[str, Any]) -> None:
    decision = decide(store, **scenario)
    line = decision.lines[0]
    found = {key: getattr(line, key) for key in expected if key not in ("refund", "pending_review", "refund_amount")}
    found.update({"refund_amount": str(line.refund_amount)} if "refund_amount" in expected else {})
    found.update({"refund": decision.refund.to_json()} if "refund" in expected else {})
    found.update({"pending_review": decision.pending_review.to_json()} if "pending_review" in expected else {})
    assert found == expected, line.explanation


STARLOW = [
    rule("We accept returns within 14 days of the delivery date (day 14)", refund(), day=14),
    rule(
        "we do not accept returns that are past the 14 day/ 2 week delivery time frame (day 15)",
        declined("outside_window"),
        day=15,
    ),
    rule("All swimwear cannot be returned", declined("excluded_category"), product_type="Swimwear"),
    rule("accessories (jewelry) cannot be returned", declined("excluded_category"), product_type="JEWELRY"),
    rule("accessories (bags) cannot be returned", declined("excluded_category"), product_type="Bags"),
    rule("accessories (hats) cannot be returned", declined("excluded_category"), product_type="hats"),
    rule("accessories cannot be returned", declined("excluded_category"), product_type="Accessories"),
    rule(
        "accessories (jewelry, bags, hats etc.): an accessory typed in several words",
        declined("excluded_category"),
        product_type="Hair Accessories",
    ),
    rule(
        "accessories (jewelry, bags, hats etc.): a product tagged as an accessory",
        declined("excluded_category"),
        product_type="Tops",
        tags=("Accessory",),
    ),
    rule(
        "accessories (jewelry, bags, hats etc.): a single hat",
        declined("excluded_category"),
        product_type="Beach Hat",
    ),
    rule(
        "Any item purchased using a discount code higher than 15% is non-refundable (a 20 % code)",
        declined("discount_over_limit"),
        discounts=(code("20.0", "9.00"),),
    ),
    rule(
        "a discount code higher than 15%: a code of exactly 15 % is refundable",
        refund(amount="38.25"),
        discounts=(code("15.0", "6.75"),),
    ),
    rule(
        "a discount code higher than 15%: a fixed-amount code of 9.00 on 45.00 is 20 % of the price",
        declined("discount_over_limit"),
        discounts=(fixed_code("9.00"),),
    ),
    rule(
        "a discount code higher than 15%: a fixed-amount code of 6.75 on 45.00 is exactly 15 %",
        refund(amount="38.25"),
        discounts=(fixed_code("6.75"),),
    ),
    rule(
        "a discount code higher than 15%: one code above 15 % among several is enough",
        declined("discount_over_limit"),
        discounts=(code("10.0", "4.50"), code("20.0", "9.00")),
    ),
    rule(
        "a discount code higher than 15%: a 20 % code taken off one of two units is still a 20 % code",
        declined("discount_over_limit"),
        bought=2,
        discounts=(code("20.0", "9.00"),),
    ),
    rule(
        "a discount code higher than 15%: a 10 % code and a 5 % automatic discount both come off the refund",
        refund(amount="38.25"),
        discounts=(code("10.0", "4.50"), automatic("5.0", "2.25")),
    ),
    rule(
        "a discount code higher than 15%: an automatic discount is not a code",
        refund(amount="31.50"),
        discounts=(automatic("30.0", "13.50"),),
    ),
    rule(
        "a discount code higher than 15%: a manual discount is not a code",
        refund(amount="31.50"),
        discounts=(manual("30.0", "13.50"),),
    ),
    rule("including all items marked as Final Sale", declined("final_sale"), tags=("Final-Sale",)),
    rule("items on an ordinary sale are returnable", refund(), tags=("sale",)),
    rule(
        "items must be in the original condition, with no sign of visible wear",
        declined("condition_not_met"),
        condition="used",
    ),
    rule(
        "an item whose condition nobody stated is inspected, not approved", review("needs_inspection"), condition=None
    ),
    rule(
        "We kindly ask you to package the item with care: packaging is asked for, not required",
        refund(),
        packaging="missing",
    ),
    rule(
        "we do not offer exchanges - return your item and place a new order",
        refund(100, "no_exchanges"),
        preferred_resolution="exchange",
    ),
    rule(
        "we do not offer exchanges: a defective item is not exchanged either",
        review("defect_exception", "no_exchanges", resolution="refund"),
        reason="defective",
        preferred_resolution="exchange",
    ),
    rule("Customer is responsible for return shipping", paid_by("customer")),
    rule("silent on defects: a person decides", review("defect_exception"), reason="defective"),
    rule(
        "silent on defects: swimwear still cannot be returned",
        declined("excluded_category"),
        reason="defective",
        product_type="Swimwear",
    ),
]

STARLIGHTES = [
    rule("a 25-day refund window since your delivery date (day 25)", refund(), day=25),
    rule(
        "after the 25-day window but within 30 days of delivery, with a valid reason (e.g., unexpected delays): "
        "a person decides, up to 50% (day 26)",
        review(
            "late_window",
            refund_percent=50,
            resolution="partial_refund",
            refund_amount="22.50",
            explanation="Asked 26 days after delivery, after the 25-day window but within 30 days: up to 50 % if "
            "a person accepts the reason for the delay.",
        ),
        day=26,
    ),
    rule(
        "within 30 days of delivery, with a valid reason (day 30)",
        review("late_window", refund_percent=50, resolution="partial_refund", refund_amount="22.50"),
        day=30,
    ),
    rule(
        "with a valid reason: a reason for the delay, which the return reason does not give",
        review("late_window", refund_percent=50),
        day=27,
        reason="unwanted",
    ),
    rule(
        "with a valid reason: the person deciding is told the customer explained the delay",
        review(
            "late_window",
            explanation="Asked 27 days after delivery, after the 25-day window but within 30 days: up to 50 % if "
            "a person accepts the reason for the delay. The customer wrote a note for the reviewer.",
        ),
        day=27,
        customer_note="The parcel sat at the depot for a week.",
    ),
    rule(
        "within 30 days of delivery: never approved by rule, so nothing is refunded yet",
        {
            **summary("0.00", "0.00", "0.00", "0.00", "0.00"),
            **summary("22.50", "0.00", "0.00", "0.00", "22.50", key="pending_review"),
        },
        day=28,
    ),
    rule("after 30 days of delivery (day 31)", declined("outside_window"), day=31),
    rule("Be unused: used kitchen tools are non-refundable", declined("condition_not_met"), condition="used"),
    rule(
        "unopened: opened food storage containers are non-refundable", declined("condition_not_met"), condition="opened"
    ),
    rule(
        "Customized products (e.g., engraved utensils) are non-refundable", declined("customized"), tags=("Engraved",)
    ),
    rule("personalized dish sets are non-refundable", declined("customized"), tags=("personalized",)),
    rule(
        "Damaged items caused by improper use (not manufacturing defects)",
        {**declined("condition_not_met"), "refund_original_shipping": False},
        condition="damaged_by_customer",
        reason="defective",
        photos=True,
    ),
    rule("Sale items marked Final Sale are non-refundable", declined("final_sale"), tags=("final-sale",)),
    rule("Sale items marked Clearance are non-refundable", declined("final_sale"), tags=("CLEARANCE",)),
    rule("Sale items marked Promo are non-refundable", declined("final_sale"), tags=("promo",)),
    rule(
        "Sale items are non-refundable unless the item is defective",
        {**refund(100, "defect_exception"), **paid_by("merchant", True)},
        tags=("clearance",),
        reason="defective",
        photos=True,
        reported_after_hours=47,
    ),
    rule(
        "defective item reported within 48 hours of delivery with photos: prepaid label, full refund "
        "including original shipping",
        {**refund(100, "defect_exception"), **paid_by("merchant", True)},
        reason="wrong_item",
        photos=True,
        reported_after_hours=48,
    ),
    rule(
        "issue a full refund (including original shipping costs): the 10.00 shipping is added",
        summary("45.00", "0.00", "10.00", "0.00", "55.00"),
        reason="defective",
        photos=True,
        reported_after_hours=3,
    ),
    rule(
        "defect not reported within 48 hours of delivery",
        review("defect_reported_late", "defect_exception"),
        reason="defective",
        photos=True,
        reported_after_hours=49,
    ),
    rule(
        "defect reported without photos of the item",
        review("photos_required", "defect_exception"),
        reason="defective",
        reported_after_hours=2,
    ),
    rule(
        "contact us with photos: until they come, the full refund and its original shipping wait for a person",
        {
            **summary("0.00", "0.00", "0.00", "0.00", "0.00"),
            **summary("45.00", "0.00", "10.00", "0.00", "55.00", key="pending_review"),
        },
        reason="defective",
        reported_after_hours=2,
    ),
    rule(
        "send a replacement for a defective item",
        refund(100, "defect_exception", resolution="replacement"),
        reason="defective",
        photos=True,
        reported_after_hours=2,
        preferred_resolution="exchange",
    ),
    rule(
        "minor damage to packaging (but the product is unused): up to 50%",
        refund(50, "partial_refund", resolution="partial_refund"),
        packaging="minor_damage",
    ),
    rule(
        "up to 50% of the item's purchase price: half of what was paid for it, its tax included",
        summary("22.50", "1.80", "0.00", "0.00", "24.30"),
        packaging="minor_damage",
        tax="3.60",
    ),
    rule(
        "missing non-essential accessories: up to 50%",
        refund(50, "partial_refund", resolution="partial_refund"),
        missing_accessories="non_essential",
    ),
    rule(
        "included accessories intact: an essential one missing is refused",
        declined("condition_not_met"),
        missing_accessories="essential",
    ),
    rule("original packaging intact: missing packaging is refused", declined("condition_not_met"), packaging="missing"),
    rule(
        "original packaging intact: refused for its packaging even when its condition is not stated",
        declined("condition_not_met"),
        condition=None,
        packaging="missing",
    ),
    rule("tags intact: removed tags are refused", declined("condition_not_met"), tags_attached=False),
    rule(
        "gift shipped directly to you: store credit equal to the purchase price",
        refund(100, "gift_store_credit", resolution="store_credit"),
        gift=True,
        to_recipient=True,
    ),
    rule(
        "gift shipped to the giver first: refund to the giver's original payment method",
        refund(),
        gift=True,
        to_recipient=False,
    ),
    rule(
        "Exchanges are available if you need a different size",
        refund(100, resolution="exchange"),
        preferred_resolution="exchange",
    ),
    rule(
        "Exchanges are available for unused, undamaged items: a damaged box alone does not stop one",
        refund(100, "partial_refund", resolution="exchange"),
        preferred_resolution="exchange",
        packaging="minor_damage",
    ),
    rule(
        "an exchange sends a replacement, so nothing is refunded",
        summary("0.00", "0.00", "0.00", "0.00", "0.00"),
        preferred_resolution="exchange",
    ),
    rule(
        "Exchanges are available for unused, undamaged items: one missing an accessory is refunded at 50 % instead",
        refund(50, "partial_refund", "no_exchanges", resolution="partial_refund"),
        preferred_resolution="exchange",
        missing_accessories="non_essential",
    ),
    rule(
        "If 25 days have passed since your delivery date, we cannot offer a full refund or exchange",
        review("late_window", "no_exchanges", resolution="partial_refund"),
        day=27,
        preferred_resolution="exchange",
    ),
    rule(
        "Exchanges are for a different size, color, or model only",
        refund(100, "no_exchanges"),
        preferred_resolution="exchange",
        reason="unwanted",
    ),
    rule("You will cover all return shipping costs", paid_by("customer")),
    rule(
        "If you receive a refund, return shipping fees will not be included",
        summary("45.00", "0.00", "0.00", "0.00", "45.00"),
    ),
]

LITTLE_TWINKLE_STARS = [
    rule("We offer a 7 day return policy (day 7)", refund(), day=7),
    rule("We offer a 7 day return policy (day 8)", declined("outside_window"), day=8),
    rule("make sure the items are unused", declined("condition_not_met"), condition="used"),
    rule("and still have the tags on them", declined("condition_not_met"), tags_attached=False),
    rule("tags nobody stated are inspected, not approved", review("needs_inspection"), tags_attached=None),
    rule("All items on sale are final and cannot be returned", declined("final_sale"), tags=("Sale",)),
    rule("made-to-order products are final and cannot be returned", declined("customized"), tags=("made-to-order",)),
    rule(
        "If there are any manufacturer defects with the item, please contact us",
        review(
            "defect_exception",
            explanation="The store asks customers to contact it about defects, so a person should decide.",
        ),
        reason="defective",
    ),
    rule(
        "please contact us about defects: no deadline, so a defect found a month after delivery is not late",
        review("defect_exception"),
        reason="defective",
        day=30,
    ),
    rule(
        "please contact us about defects: no deadline, so unknown delivery dates raise no question",
        review("defect_exception"),
        reason="defective",
        dates={},
    ),
    rule(
        "please contact us about defects: no deadline, so a parcel without a delivery scan raises no question",
        review("defect_exception"),
        reason="defective",
        dates={"fulfilled_at": DELIVERED.isoformat()},
    ),
    rule(
        "a manufacturer defect on a sale item still goes to a person",
        review("defect_exception"),
        reason="defective",
        tags=("sale",),
    ),
    rule(
        "The refund will be made for your total bill excluding any shipping costs: price minus discounts, plus tax",
        {
            **paid_by("customer"),
            **summary("40.50", "3.24", "0.00", "0.00", "43.74"),
        },
        discounts=(automatic("10.0", "4.50"),),
        tax="3.24",
    ),
]

CHARMS_FR = [
    rule("un service d'échange et de retour de 365 jours (jour 365)", refund(), day=365),
    rule("un service d'échange et de retour de 365 jours (jour 366)", declined("outside_window"), day=366),
    rule(
        "Nous acceptons toute la garantie à vie: un problème de qualité après 365 jours, une personne décide",
        {
            **review("warranty", "defect_exception", resolution="none", refund_percent=0, refund_amount="0.00"),
            **paid_by("merchant"),
            **summary("0.00", "0.00", "0.00", "0.00", "0.00", key="pending_review"),
        },
        day=900,
        reason="defective",
    ),
    rule(
        "Si l'article a un problème de qualité, nous chargeons les frais",
        {**review("defect_exception"), **paid_by("merchant")},
        reason="defective",
    ),
    rule(
        "Si vous avez reçu un article incorrect ou endommagé, contactez-nous immédiatement",
        {**review("defect_exception", refund_amount="45.00"), **paid_by("merchant")},
        reason="wrong_item",
    ),
    rule(
        "raisons personnelles (mauvaise couleur ou taille): vous devrez peser sur les charges",
        paid_by("customer"),
        reason="color",
    ),
    rule(
        "Les frais d'expédition ne sont pas remboursables, même pour un défaut",
        paid_by("merchant", False),
        reason="defective",
    ),
    rule(
        "Emballez les articles dans les matériaux d'emballage d'origine ou tout autre paquet de PROTECTION",
        refund(),
        packaging="missing",
    ),
    rule(
        "livraison gratuite: nous devrons déduire le montant d'affranchissement",
        {
            **refund(100, "postage_deducted"),
            **summary("45.00", "0.00", "0.00", "4.90", "40.10"),
            "explanation": "The 4.90 USD postage the store paid on this free-shipping order is kept from the refund.",
        },
        shipping="0.00",
    ),
    rule(
        "livraison gratuite: une commande qui a payé 1,00 de livraison n'a pas été livrée gratuitement",
        summary("45.00", "0.00", "0.00", "0.00", "45.00"),
        shipping="1.00",
    ),
    rule(
        "livraison gratuite: la commande entière attendant l'inspection attend avec sa déduction",
        {
            **review("needs_inspection", "postage_deducted"),
            **summary("0.00", "0.00", "0.00", "0.00", "0.00"),
            **summary("45.00", "0.00", "0.00", "4.90", "40.10", key="pending_review"),
        },
        shipping="0.00",
        condition=None,
    ),
    rule(
        "Si vous renvoyez la commande entière: une partie de la commande, rien n'est déduit",
        summary("45.00", "0.00", "0.00", "0.00", "45.00"),
        shipping="0.00",
        bought=2,
        returning=1,
    ),
    rule(
        "Si vous renvoyez la commande entière: le dernier article d'une commande renvoyée en deux fois",
        summary("45.00", "0.00", "0.00", "4.90", "40.10"),
        shipping="0.00",
        bought=2,
        returning=1,
        returned_before=1,
    ),
    rule(
        "expédiée avec livraison gratuite: une commande qui n'a rien expédié n'a pas d'affranchissement",
        summary("45.00", "0.00", "0.00", "0.00", "45.00"),
        shipping="0.00",
        requires_shipping=False,
    ),
    rule(
        "livraison gratuite, mais un défaut: rien n'est déduit",
        summary("45.00", "0.00", "0.00", "0.00", "45.00", key="pending_review"),
        shipping="0.00",
        reason="defective",
    ),
    rule("service d'échange", refund(100, resolution="exchange"), preferred_resolution="exchange"),
    rule(
        "la garantie couvre aussi un charme photo personnalisé",
        review("defect_exception"),
        reason="defective",
        tags=("personalized",),
    ),
]

LAYERED_JEWELRY = [
    rule("the 60-day return process (day 60)", refund(), day=60),
    rule("the 60-day return process (day 61)", declined("outside_window"), day=61),
    rule("unused, in original condition", declined("condition_not_met"), condition="used"),
    rule("with intact packaging", declined("condition_not_met"), packaging="minor_damage"),
    rule("and tags", declined("condition_not_met"), tags_attached=False),
    rule("return shipping costs are borne by the customer", paid_by("customer")),
    rule(
        "unless the return is due to a product defect",
        {**refund(100, "defect_exception"), **paid_by("merchant")},
        reason="defective",
    ),
    rule("or an error on our part (e.g., wrong item shipped)", paid_by("merchant"), reason="wrong_item"),
    rule(
        "a defect reported at 23:00 New York time on day 60 is within the 60 days",
        refund(100, "defect_exception"),
        day=60,
        reason="defective",
        reported_after_hours=60 * 24 + 12,
    ),
    rule(
        "a defect refunded within the 60 days: without a delivery date a person checks the days",
        review("delivery_unknown", "defect_exception"),
        reason="defective",
        dates={},
    ),
    rule(
        "a customer who asks for store credit may have it (the policy's default)",
        refund(100, resolution="store_credit"),
        preferred_resolution="store_credit",
    ),
    rule(
        "a defect reported after the 60 days goes to a person, the merchant still paying the return",
        {**review("defect_reported_late", "defect_exception"), **paid_by("merchant")},
        day=61,
        reason="defective",
    ),
    rule("jewelry is what the store sells, so it is returnable", refund(), product_type="Jewelry"),
    rule("the policy names no final sale: a final-sale tag refuses nothing", refund(), tags=("final-sale",)),
    rule("the policy names no custom-work exclusion: an engraved item is returnable", refund(), tags=("engraved",)),
]


@pytest.mark.parametrize(("scenario", "expected"), STARLOW)
def test_starlow_applies_its_published_policy(scenario: dict[str, Any], expected: dict[str, Any]) -> None:
    check("starlow", scenario, expected)


@pytest.mark.parametrize(("scenario", "expected"), STARLIGHTES)
def test_starlightes_applies_its_published_policy(scenario: dict[str, Any], expected: dict[str, Any]) -> None:
    check("starlightes", scenario, expected)


@pytest.mark.parametrize(("scenario", "expected"), LITTLE_TWINKLE_STARS)
def test_little_twinkle_stars_applies_its_published_policy(scenario: dict[str, Any], expected: dict[str, Any]) -> None:
    check("little-twinkle-stars", scenario, expected)


@pytest.mark.parametrize(("scenario", "expected"), CHARMS_FR)
def test_charms_fr_applies_its_published_policy(scenario: dict[str, Any], expected: dict[str, Any]) -> None:
    check("charms-fr", scenario, expected)


@pytest.mark.parametrize(("scenario", "expected"), LAYERED_JEWELRY)
def test_layered_jewelry_applies_its_published_policy(scenario: dict[str, Any], expected: dict[str, Any]) -> None:
    check("layered-jewelry", scenario, expected)
