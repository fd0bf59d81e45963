"""Settings from the environment, parsed once into a frozen value; the only module that reads os.environ."""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

MIN_DEDUP_SECONDS = 48 * 3600
DEFAULT_EVENT_RETENTION_DAYS = 30


class SettingsError(ValueError):
    """A variable is set to something we cannot use; the message names it."""


@dataclass(frozen=True)
class Settings:
    api_secrets: tuple[str, ...]
    redis_url: str | None = None
    database_url: str = "sqlite://"  # load_settings gives the default file; a Settings built by hand, memory
    database_schema: str | None = None
    allowed_shops: frozenset[str] = frozenset()
    max_body_bytes: int = 5 * 1024 * 1024
    dedup_seconds: int = 72 * 3600
    queue_name: str = "shopworker"
    log_level: str = "INFO"
    log_format: str | None = None  # json or text; None: json unless stderr is a terminal
    metrics_token: str | None = field(default=None, repr=False)
    prometheus_multiproc_dir: str | None = None
    shopify_access_token: str | None = field(default=None, repr=False)  # one-shop setups: any shop without its own
    shopify_access_tokens: Mapping[str, str] = field(default_factory=dict, repr=False)  # shop -> static token
    shopify_api_key: str | None = None  # the app's client id: the grants need it
    shopify_app_url: str | None = None  # where Shopify sends the merchant back after an install
    credentials_keys: tuple[str, ...] = field(default=(), repr=False)  # Fernet keys for stored tokens, newest first
    shopify_api_version: str = "2026-04"
    shopify_admin_url: str | None = None
    shop_policies: Mapping[str, str] = field(default_factory=dict)
    default_policy: str | None = None
    locations_file: Path | None = None
    operator_password: str | None = field(default=None, repr=False)
    operator_secret_key: str | None = field(default=None, repr=False)
    session_cookie_secure: bool = True
    worker_maintenance_seconds: int = 20
    event_retention_days: int = DEFAULT_EVENT_RETENTION_DAYS  # processed events' payloads are pruned after this

    def secret_values(self) -> tuple[str, ...]:
        """What must never appear in a log line, whichever process writes it."""
        values = (
            *self.api_secrets,
            self.shopify_access_token,
            *self.shopify_access_tokens.values(),
            *self.credentials_keys,
            self.metrics_token,
            self.operator_password,
            self.operator_secret_key,
        )
        return tuple(value for value in values if value)

    def policy_for(self, shop: str) -> str | None:
        """The store policy that governs this shop, if any is configured."""
        return self.shop_policies.get(shop, self.default_policy)


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _list(env: Mapping[str, str], name: str) -> list[str]:
    return [item.strip() for item in env.get(name, "").split(",") if item.strip()]


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw not in {"true", "false", "1", "0"}:
        raise SettingsError(f"{name} must be true or false, got {raw!r}")
    return raw in {"true", "1"}


def _pairs(env: Mapping[str, str], name: str, what: str = "policy", shown: bool = True) -> dict[str, str]:
    pairs = {}
    for item in _list(env, name):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            example = repr(item) if shown else f"an item without '=' or with an empty side (item {len(pairs) + 1})"
            raise SettingsError(f"{name} takes shop={what} pairs separated by commas, got {example}")
        pairs[key.strip().lower()] = value.strip()
    return pairs


def _fernet_keys(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """Fernet keys are 32 bytes in URL-safe base64; a wrong one is refused here, not when a token is first read."""
    keys = tuple(_list(env, name))
    for position, key in enumerate(keys, start=1):
        try:
            raw = base64.urlsafe_b64decode(key.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raw = b""
        if len(raw) != 32:
            raise SettingsError(
                f"{name}: key {position} is not a Fernet key (32 bytes in URL-safe base64; make one with "
                '`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`)'
            )
    return keys


def _app_url(env: Mapping[str, str], name: str) -> str | None:
    raw = (env.get(name) or "").strip().rstrip("/")
    if not raw:
        return None
    parsed = urlsplit(raw)
    local = parsed.hostname in {"127.0.0.1", "localhost"}
    if parsed.scheme not in ({"https", "http"} if local else {"https"}) or not parsed.hostname or parsed.query:
        raise SettingsError(f"{name} must be the app's public https:// address, got {raw!r}")
    return raw


def default_database_url(env: Mapping[str, str]) -> str:
    """SQLite in the user's data folder (XDG_DATA_HOME, else ~/.local/share), so every command finds the same
    records whichever folder it runs from."""
    data_home = Path(env.get("XDG_DATA_HOME") or Path(env.get("HOME") or Path.home()) / ".local" / "share")
    return f"sqlite:///{data_home.absolute() / 'shopworker' / 'shopworker.db'}"


def normalize_database_url(url: str) -> str:
    """Heroku hands out postgres:// URLs; SQLAlchemy wants a driver-qualified scheme."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_settings(env: Mapping[str, str] | None = None, require_secret: bool = True) -> Settings:
    """Read and check every variable at once, so a misconfigured process fails at start, not mid-request.
    Commands that only read the records pass `require_secret=False`: they verify no webhook."""
    env = os.environ if env is None else env
    secrets = tuple(s for s in (env.get("SHOPIFY_API_SECRET"), env.get("SHOPIFY_API_SECRET_PREVIOUS")) if s)
    if not secrets and require_secret:
        raise SettingsError("SHOPIFY_API_SECRET is not set: webhooks cannot be verified without it")
    level = env.get("LOG_LEVEL", "INFO").upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise SettingsError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {level!r}")
    log_format = (env.get("LOG_FORMAT") or "").lower() or None
    if log_format not in {None, "json", "text"}:
        raise SettingsError(f"LOG_FORMAT must be json or text, got {log_format!r}")
    locations = env.get("LOCATIONS_FILE")
    return Settings(
        api_secrets=secrets,
        redis_url=env.get("REDIS_URL") or None,
        database_url=normalize_database_url(env.get("DATABASE_URL") or default_database_url(env)),
        database_schema=env.get("DATABASE_SCHEMA") or None,
        allowed_shops=frozenset(s.lower() for s in _list(env, "ALLOWED_SHOPS")),
        max_body_bytes=_int(env, "MAX_BODY_BYTES", 5 * 1024 * 1024),
        dedup_seconds=_int(env, "DEDUP_SECONDS", 72 * 3600, minimum=MIN_DEDUP_SECONDS),
        queue_name=env.get("QUEUE_NAME") or "shopworker",
        log_level=level,
        log_format=log_format,
        metrics_token=env.get("METRICS_TOKEN") or None,
        prometheus_multiproc_dir=env.get("PROMETHEUS_MULTIPROC_DIR") or None,
        shopify_access_token=env.get("SHOPIFY_ACCESS_TOKEN") or None,
        shopify_access_tokens=_pairs(env, "SHOPIFY_ACCESS_TOKENS", what="token", shown=False),
        shopify_api_key=env.get("SHOPIFY_API_KEY") or None,
        shopify_app_url=_app_url(env, "SHOPIFY_APP_URL"),
        credentials_keys=_fernet_keys(env, "CREDENTIALS_KEYS"),
        shopify_api_version=env.get("SHOPIFY_API_VERSION") or "2026-04",
        shopify_admin_url=env.get("SHOPIFY_ADMIN_URL") or None,
        shop_policies=_pairs(env, "SHOP_POLICIES"),
        default_policy=env.get("DEFAULT_POLICY") or None,
        locations_file=Path(locations) if locations else None,
        operator_password=env.get("OPERATOR_PASSWORD") or None,
        operator_secret_key=env.get("OPERATOR_SECRET_KEY") or None,
        session_cookie_secure=_flag(env, "SESSION_COOKIE_SECURE", True),
        worker_maintenance_seconds=_int(env, "WORKER_MAINTENANCE_SECONDS", 20),
        event_retention_days=_int(env, "EVENT_RETENTION_DAYS", DEFAULT_EVENT_RETENTION_DAYS),
    )
