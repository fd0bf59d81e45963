"""Process-wide logging: one JSON object per line in production, plain text at a terminal, and never a secret
or a customer's personal data in either. Called once by each process's entry point, never at import time."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

REDACTED = "[redacted]"

# Keys whose values are never written, wherever they appear (extra fields, nested dicts, mapping arguments).
SECRET_KEYS = frozenset(
    {
        "password",
        "secret",
        "api_secret",
        "token",
        "access_token",
        "refresh_token",
        "client_secret",
        "api_key",
        "authorization",
        "cookie",
        "hmac",
        "x-shopify-hmac-sha256",
        "x_shopify_hmac_sha256",
    }
)
PERSONAL_KEYS = frozenset(
    {
        "email",
        "contact_email",
        "customer_email",
        "phone",
        "first_name",
        "last_name",
        "full_name",
        "customer_name",
        "name_on_card",
        "customer",
        "address",
        "address1",
        "address2",
        "billing_address",
        "shipping_address",
        "destination",
        "zip",
        "city",
        "company",
        "latitude",
        "longitude",
        "browser_ip",
        "client_details",
        "default_address",
        "addresses",
        "note",
        "note_attributes",
        "customer_note",
        "properties",
        "order_status_url",
        "body",  # a webhook's body as received, in a job's argument
    }
)
SENSITIVE_KEYS = SECRET_KEYS | PERSONAL_KEYS

# Values that look like these are masked even inside free text: e-mail addresses, Shopify access tokens, refresh
# tokens and secrets (shpat_, shpca_, shppa_, shprt_, shpss_), bearer credentials, and phone numbers in
# international form.
_SENSITIVE_TEXT = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|\bshp(?:at|ca|pa|ss|rt)_[0-9a-fA-F]{8,}"
    r"|\b[Bb]earer\s+\S+"
    r"|\+\d[\d ().-]{7,}\d"
)

# A value an exception's message quotes, which is where a payload's data would show: KeyError('Camille'),
# invalid input syntax for type bigint: "12 rue des Lilas".
_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")
ERROR_TEXT_LIMIT = 200

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
_HANDLER_NAME = "shopworker"


def _is_sensitive(key: object) -> bool:
    return isinstance(key, str) and key.lower() in SENSITIVE_KEYS


def error_summary(error: BaseException) -> str:
    """An exception as a log line may show it: its type and the first line of its message, the values it quotes
    masked. A database error is read in the driver's own words: SQLAlchemy's text adds the statement and its
    parameters, which are a payload's fields."""
    text = str(getattr(error, "orig", None) or error).replace("\x00", "")
    first = _QUOTED.sub(REDACTED, text.splitlines()[0] if text else "")[:ERROR_TEXT_LIMIT]
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


class Redactor(logging.Filter):
    """Masks sensitive keys anywhere in a record's extra fields and arguments, the configured secret values
    wherever they appear, and text that looks like an e-mail address, a phone number or an access token."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True))

    def text(self, value: str) -> str:
        for secret in self.secrets:
            value = value.replace(secret, REDACTED)
        return _SENSITIVE_TEXT.sub(REDACTED, value)

    def value(self, value: Any, depth: int = 0) -> Any:
        if depth > 20:
            return REDACTED
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: REDACTED if _is_sensitive(k) else self.value(v, depth + 1) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.value(item, depth + 1) for item in value)
        return value

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.value(record.getMessage())
        record.args = None
        for key, item in list(record.__dict__.items()):
            if key not in _STANDARD:
                record.__dict__[key] = REDACTED if _is_sensitive(key) else self.value(item)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.text(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = self.text(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """One line per record: time, level, logger, message, then the record's extra fields (shop, topic, event...)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_text or record.exc_info:
            line["exception"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """For a person at a terminal: the usual line, with the extra fields appended as key=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        extra = " ".join(f"{k}={v}" for k, v in record.__dict__.items() if k not in _STANDARD)
        if not extra:
            return text
        head, newline, rest = text.partition("\n")
        return f"{head} {extra}{newline}{rest}"


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the moment of writing (test runners swap it)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(level: str = "INFO", fmt: str | None = None, secrets: Iterable[str] = ()) -> None:
    """Install the process's one log handler on the root logger; calling it again replaces it, never adds one.
    `fmt` None means JSON unless stderr is a terminal."""
    if fmt is None:
        fmt = "text" if sys.stderr.isatty() else "json"
    handler = _StderrHandler()
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(Redactor(secrets))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)


def is_configured() -> bool:
    return any(h.get_name() == _HANDLER_NAME for h in logging.getLogger().handlers)
