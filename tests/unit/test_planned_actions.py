"""Every area plans its Shopify actions as one value, which the sender knows how to perform."""

from __future__ import annotations

import pytest

from worker.domain.actions import ACTION_NAMES, PlannedAction, UnknownAction
from worker.services.outbox import PERFORM


def test_every_action_a_plan_may_name_has_a_performer_and_nothing_else_does() -> None:
    assert PERFORM.keys() == ACTION_NAMES


def test_an_action_the_sender_cannot_perform_is_refused_when_it_is_planned() -> None:
    with pytest.raises(UnknownAction, match="unknown outbox action 'delete_shop'"):
        PlannedAction("a.myshopify.com", "delete_shop", "gid://shopify/Shop/1", {}, "k")
