"""The only reader of config/policies/*.toml: one file per store, parsed and compiled once per process."""

from __future__ import annotations

import hashlib
import tomllib
from functools import cache
from pathlib import Path

from worker.domain.policy import PolicyError, StorePolicy, parse_policy

POLICY_DIR = Path(__file__).resolve().parent / "policies"


def store_names() -> list[str]:
    return sorted(path.stem for path in POLICY_DIR.glob("*.toml"))


@cache
def load_policy(name: str) -> StorePolicy:
    path = POLICY_DIR / f"{name}.toml"
    if name not in store_names():
        raise PolicyError(f"{path}: no policy file for store {name!r} (known: {', '.join(store_names())})")
    content = path.read_bytes()
    try:
        data = tomllib.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise PolicyError(f"{path}: not valid TOML: {error}") from None
    return parse_policy(name, data, policy_version(content))


def policy_version(content: bytes) -> str:
    """Stored with every decision, so a decision can be traced to the exact file that made it."""
    return hashlib.sha256(content).hexdigest()[:16]
