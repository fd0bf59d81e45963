"""The operator's settings: a password and a signing key that never show in a log line, cookies Secure unless told."""

from __future__ import annotations

import pytest

from config.settings import SettingsError, load_settings

BASE = {"SHOPIFY_API_SECRET": "s"}


def test_the_operator_pages_are_off_and_cookies_secure_by_default():
    settings = load_settings(BASE)
    assert (settings.operator_password, settings.operator_secret_key, settings.session_cookie_secure) == (
        None,
        None,
        True,
    )


def test_the_password_and_signing_key_never_appear_in_the_settings_repr():
    settings = load_settings({**BASE, "OPERATOR_PASSWORD": "pw-123456", "OPERATOR_SECRET_KEY": "key-abcdef"})
    assert (settings.operator_password, settings.operator_secret_key) == ("pw-123456", "key-abcdef")
    assert "pw-123456" not in repr(settings) and "key-abcdef" not in repr(settings)


@pytest.mark.parametrize("raw, secure", [("false", False), ("0", False), ("TRUE", True), ("1", True), ("", True)])
def test_session_cookie_secure_reads_true_or_false(raw, secure):
    assert load_settings({**BASE, "SESSION_COOKIE_SECURE": raw}).session_cookie_secure is secure


def test_session_cookie_secure_refuses_anything_else():
    with pytest.raises(SettingsError, match="SESSION_COOKIE_SECURE must be true or false, got 'maybe'"):
        load_settings({**BASE, "SESSION_COOKIE_SECURE": "maybe"})


def test_the_password_and_signing_key_are_masked_in_log_lines():
    settings = load_settings({**BASE, "OPERATOR_PASSWORD": "pw-123456", "OPERATOR_SECRET_KEY": "key-abcdef"})
    assert {"pw-123456", "key-abcdef"} <= set(settings.secret_values())
