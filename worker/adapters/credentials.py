"""Shop credentials in the records database, their tokens encrypted with Fernet (AES-128-CBC and HMAC-SHA256).

Keys come from CREDENTIALS_KEYS, newest first: every write uses the first, a read tries each (MultiFernet), so a key
is rotated by putting the new one in front and running `shopworker shops rekey` before dropping the old one. Without
CREDENTIALS_KEYS the key is derived from SHOPIFY_API_SECRET (HKDF), which then must not change while tokens are
stored under it. A token is never returned in a repr, and never leaves this module unencrypted except to the
service that sends it to Shopify.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Engine, delete, select, update

from worker.adapters.db import upsert
from worker.adapters.shopify.grants import STATIC, Grant
from worker.adapters.tables.credentials import shop_credentials

ACTIVE = "active"
NEEDS_REINSTALL = "needs_reinstall"
UNINSTALLED = "uninstalled"


class CredentialsUnreadable(RuntimeError):
    """A stored token was encrypted under a key that is no longer configured."""


class Vault:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is needed")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    @classmethod
    def from_settings(cls, keys: Sequence[str], api_secrets: Sequence[str]) -> Vault:
        return cls(list(keys) or [derived_key(secret) for secret in api_secrets])

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode("ascii")

    def decrypt(self, value: str) -> str:
        try:
            return self._fernet.decrypt(value.encode("ascii")).decode()
        except InvalidToken:
            raise CredentialsUnreadable(
                "a stored token cannot be decrypted with CREDENTIALS_KEYS (was its key removed?)"
            ) from None

    def rotate(self, value: str) -> str:
        try:
            return self._fernet.rotate(value.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise CredentialsUnreadable("a stored token cannot be decrypted with CREDENTIALS_KEYS") from None


def derived_key(secret: str) -> str:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"shopworker credentials", info=b"fernet key")
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode())).decode("ascii")


def fingerprint(token: str) -> str:
    """Tells a static token from another without keeping it readable."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Credentials:
    shop: str
    grant_type: str
    scopes: tuple[str, ...]
    status: str
    installed_at: datetime
    updated_at: datetime
    access_token: str | None = field(default=None, repr=False)
    access_expires_at: datetime | None = None
    refresh_token: str | None = field(default=None, repr=False)
    refresh_expires_at: datetime | None = None
    token_fingerprint: str | None = field(default=None, repr=False)
    status_reason: str | None = None
    uninstalled_at: datetime | None = None
    renewed_at: datetime | None = None


class CredentialsStore:
    def __init__(self, engine: Engine, vault: Vault) -> None:
        self.engine = engine
        self.vault = vault
        # A shop's credentials are read for every event that may call Shopify: one statement, no BEGIN or ROLLBACK.
        self.one_statement = engine.execution_options(isolation_level="AUTOCOMMIT")

    def get(self, shop: str) -> Credentials | None:
        with self.one_statement.connect() as connection:
            row = connection.execute(select(shop_credentials).where(shop_credentials.c.shop == shop)).first()
        return self._credentials(row) if row else None

    def list(self) -> list[Credentials]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(shop_credentials).order_by(shop_credentials.c.shop)).all()
        return [self._credentials(row) for row in rows]

    def shops_with_status(self, status: str) -> list[str]:
        query = select(shop_credentials.c.shop).where(shop_credentials.c.status == status)
        with self.engine.connect() as connection:
            return sorted(connection.execute(query).scalars())

    def save_grant(self, shop: str, grant_type: str, grant: Grant, now: datetime, installed: bool) -> Credentials:
        """Store what a grant handed out, active. `installed`: a new install (or reinstall) rather than a renewal,
        so the install time starts again."""
        row: dict[str, Any] = {
            "shop": shop,
            "grant_type": grant_type,
            "scopes": ",".join(grant.scopes),
            "access_token": self.vault.encrypt(grant.access_token),
            "access_expires_at": grant.access_expires_at,
            "refresh_token": self.vault.encrypt(grant.refresh_token) if grant.refresh_token else None,
            "refresh_expires_at": grant.refresh_expires_at,
            "token_fingerprint": fingerprint(grant.access_token) if grant_type == STATIC else None,
            "status": ACTIVE,
            "status_reason": None,
            "installed_at": now,
            "uninstalled_at": None,
            "renewed_at": now,
            "updated_at": now,
        }
        columns = [name for name in row if name != "shop" and (installed or name != "installed_at")]
        with self.engine.begin() as connection:
            upsert(connection, shop_credentials, [row], ["shop"], update=columns)
        saved = self.get(shop)
        assert saved is not None
        return saved

    def save_refusal(self, shop: str, grant_type: str, reason: str, now: datetime) -> None:
        """A shop whose very first grant was refused: known, without a token, needs_reinstall."""
        row = {
            "shop": shop,
            "grant_type": grant_type,
            "scopes": "",
            "status": NEEDS_REINSTALL,
            "status_reason": reason,
            "installed_at": now,
            "updated_at": now,
        }
        with self.engine.begin() as connection:
            upsert(connection, shop_credentials, [row], ["shop"], update=["status", "status_reason", "updated_at"])

    def mark(self, shop: str, status: str, reason: str | None, now: datetime) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(shop_credentials)
                .where(shop_credentials.c.shop == shop)
                .values(status=status, status_reason=reason, updated_at=now)
            )

    def uninstall(self, shop: str, now: datetime) -> bool:
        """Drop the tokens at once; the row stays, so a revoked static token is not taken up again."""
        with self.engine.begin() as connection:
            changed = connection.execute(
                update(shop_credentials)
                .where(shop_credentials.c.shop == shop)
                .values(
                    access_token=None,
                    access_expires_at=None,
                    refresh_token=None,
                    refresh_expires_at=None,
                    status=UNINSTALLED,
                    status_reason="the app was uninstalled from the shop",
                    uninstalled_at=now,
                    updated_at=now,
                )
            ).rowcount
        return bool(changed)

    def remove(self, shop: str) -> bool:
        with self.engine.begin() as connection:
            return bool(connection.execute(delete(shop_credentials).where(shop_credentials.c.shop == shop)).rowcount)

    def rekey(self) -> int:
        """Encrypt every stored token again under the newest key; returns the number of shops rewritten."""
        with self.engine.begin() as connection:
            rows = connection.execute(
                select(shop_credentials.c.shop, shop_credentials.c.access_token, shop_credentials.c.refresh_token)
            ).all()
            for row in rows:
                connection.execute(
                    update(shop_credentials)
                    .where(shop_credentials.c.shop == row.shop)
                    .values(
                        access_token=self.vault.rotate(row.access_token) if row.access_token else None,
                        refresh_token=self.vault.rotate(row.refresh_token) if row.refresh_token else None,
                    )
                )
        return len(rows)

    def _credentials(self, row: Any) -> Credentials:
        return Credentials(
            shop=row.shop,
            grant_type=row.grant_type,
            scopes=tuple(scope for scope in (row.scopes or "").split(",") if scope),
            status=row.status,
            installed_at=row.installed_at,
            updated_at=row.updated_at,
            access_token=self.vault.decrypt(row.access_token) if row.access_token else None,
            access_expires_at=row.access_expires_at,
            refresh_token=self.vault.decrypt(row.refresh_token) if row.refresh_token else None,
            refresh_expires_at=row.refresh_expires_at,
            token_fingerprint=row.token_fingerprint,
            status_reason=row.status_reason,
            uninstalled_at=row.uninstalled_at,
            renewed_at=row.renewed_at,
        )
