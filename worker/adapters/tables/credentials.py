"""Each shop's Admin API credentials: how they were granted, what they allow, until when, and whether they still
work. Tokens are stored encrypted (see `worker.adapters.credentials`); nothing here is readable without the key."""

from __future__ import annotations

from sqlalchemy import Column, String, Table, Text

from worker.adapters.tables import UTCDateTime, metadata

shop_credentials = Table(
    "shop_credentials",
    metadata,
    Column("shop", String(255), primary_key=True),
    Column("grant_type", String(30), nullable=False),  # client_credentials, authorization_code or static
    Column("scopes", Text, nullable=False, default=""),  # granted, comma-separated as Shopify lists them
    Column("access_token", Text),  # encrypted; none once the shop uninstalled the app
    Column("access_expires_at", UTCDateTime),  # none: the token does not expire
    Column("refresh_token", Text),  # encrypted; authorization-code grants with expiring tokens only
    Column("refresh_expires_at", UTCDateTime),
    Column("token_fingerprint", String(64)),  # SHA-256 of a static token, to tell a new one from a revoked one
    Column("status", String(20), nullable=False),  # active, needs_reinstall, uninstalled
    Column("status_reason", Text),
    Column("installed_at", UTCDateTime, nullable=False),
    Column("uninstalled_at", UTCDateTime),
    Column("renewed_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
)
