"""Every answer the fake Admin API gives is held to Shopify's schema for the document that asked for it.

The fake records each misfit here (it runs in a thread, or behind a test client, so it cannot fail the test
itself), answers the request with an error, and the `pytest_runtest_call` hook below fails the test during
which the misfit happened, listing each path. `tests/conftest.py` imports the hook.
"""

from __future__ import annotations

import threading
from collections.abc import Generator
from typing import Any

import pytest

_lock = threading.Lock()
_misfits: list[str] = []


class AnswerOutsideSchema(AssertionError):
    """The fake Admin API answered something Shopify's schema does not allow."""


def report(description: str) -> None:
    with _lock:
        _misfits.append(description)


def take() -> list[str]:
    """The misfits reported since the last call, oldest first."""
    with _lock:
        taken = list(_misfits)
        _misfits.clear()
        return taken


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    take()  # a misfit from an earlier test's teardown is not this test's


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    try:
        return (yield)
    finally:
        misfits = take()
        if misfits:
            raise AnswerOutsideSchema("\n".join(misfits))
