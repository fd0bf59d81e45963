"""The credentials' settings: static tokens per shop, encryption keys, the app's public address; none of the
secrets in a repr, all of them masked in logs."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from config.settings import SettingsError, load_settings

BASE = {"SHOPIFY_API_SECRET": "s"}


def test_static_tokens_are_read_per_shop_and_the_single_token_stays_for_one_shop_setups():
    settings = load_settings(
        {
            **BASE,
            "SHOPIFY_ACCESS_TOKENS": "A.myshopify.com=shpat_a1, b.myshopify.com=shpat_b2",
            "SHOPIFY_ACCESS_TOKEN": "t1",
        }
    )
    assert settings.shopify_access_tokens == {"a.myshopify.com": "shpat_a1", "b.myshopify.com": "shpat_b2"}
    assert settings.shopify_access_token == "t1"
    assert "shpat_a1" not in repr(settings) and "t1" not in repr(settings)
    assert {"shpat_a1", "shpat_b2", "t1"} <= set(settings.secret_values())


def test_a_malformed_token_pair_is_refused_without_showing_the_token():
    with pytest.raises(SettingsError, match="SHOPIFY_ACCESS_TOKENS takes shop=token pairs") as refused:
        load_settings({**BASE, "SHOPIFY_ACCESS_TOKENS": "a.myshopify.com=shpat_a1,shpat_orphan"})
    assert "shpat" not in str(refused.value)


def test_encryption_keys_are_fernet_keys_newest_first_and_never_shown():
    new, old = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings = load_settings({**BASE, "CREDENTIALS_KEYS": f"{new},{old}"})
    assert settings.credentials_keys == (new, old)
    assert new not in repr(settings) and {new, old} <= set(settings.secret_values())
    with pytest.raises(SettingsError, match="CREDENTIALS_KEYS: key 2 is not a Fernet key"):
        load_settings({**BASE, "CREDENTIALS_KEYS": f"{new},not-a-key"})


@pytest.mark.parametrize(
    ("raw", "url"),
    [("https://app.example.com/", "https://app.example.com"), ("http://127.0.0.1:8000", "http://127.0.0.1:8000")],
)
def test_the_app_url_is_https_or_local(raw, url):
    assert load_settings({**BASE, "SHOPIFY_APP_URL": raw}).shopify_app_url == url


@pytest.mark.parametrize("raw", ["http://app.example.com", "app.example.com", "https://app.example.com/?x=1"])
def test_an_app_url_shopify_would_refuse_is_refused_at_start(raw):
    with pytest.raises(SettingsError, match="SHOPIFY_APP_URL must be the app's public https:// address"):
        load_settings({**BASE, "SHOPIFY_APP_URL": raw})
