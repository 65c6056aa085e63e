"""ApiConfig: everything the API needs, built by the composition root (c360) from settings."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path


class Role(str, Enum):
    """Who is calling; each API key maps to exactly one role."""

    SERVICE_DESK = "service_desk"
    WEB = "web"
    KIOSK = "kiosk"
    INTEGRATOR = "integrator"
    ADMIN = "admin"


class ApiKeyError(ValueError):
    """An API key entry is malformed; the message says where."""


@dataclass(frozen=True)
class Limits:
    """Bounds on one GraphQL document."""

    max_depth: int = 12
    max_tokens: int = 2_000
    max_aliases: int = 20


@dataclass(frozen=True)
class ApiConfig:
    """Connections and policy of one API process; `key_hashes` maps sha256(key) hex to a role.

    `redis_timeout_s` bounds each Redis call (offers then fall back); `graph_retry_s` bounds how long a
    request retries a graph that went away before answering GRAPH_UNAVAILABLE. `session_secret` signs the
    customer sessions of web and kiosk keys (api.sessions; None: a random one for this process), which
    last `session_minutes`. Every `warm_up_every_s` seconds the process has Neo4j plan its hot queries again
    (api.warm_up; 0: only at start)."""

    neo4j_uri: str
    neo4j_user: str
    neo4j_password: str | None
    neo4j_database: str
    redis_url: str
    key_hashes: Mapping[str, Role] = field(default_factory=dict)
    limits: Limits = Limits()
    graphiql: bool = True
    redis_timeout_s: float = 0.25
    graph_retry_s: float = 2.0
    session_secret: str | None = None
    session_minutes: int = 30
    warm_up_every_s: float = 60.0


def hash_key(key: str) -> str:
    """The sha256 hex digest under which a key is kept (keys are never held in clear)."""
    return hashlib.sha256(key.encode()).hexdigest()


def parse_role(text: str, where: str) -> Role:
    try:
        return Role(text.strip())
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise ApiKeyError(f"{where}: unknown role {text.strip()!r} (one of {roles})") from None


def keys_from_pairs(text: str, where: str = "C360_API_KEYS") -> dict[str, Role]:
    """Parse "key:role,key2:role" into hash -> role."""
    hashes: dict[str, Role] = {}
    for n, pair in enumerate(p for p in text.split(",") if p.strip()):
        key, sep, role = pair.strip().rpartition(":")
        if not sep or not key:
            raise ApiKeyError(f"{where}: entry {n + 1} is not 'key:role'")
        hashes[hash_key(key)] = parse_role(role, f"{where} entry {n + 1}")
    return hashes


def keys_from_file(path: Path) -> dict[str, Role]:
    """Read lines "sha256:<hex> <role>" (hashed at rest) or "<key> <role>"; '#' starts a comment."""
    hashes: dict[str, Role] = {}
    for n, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2:
            raise ApiKeyError(f"{path}:{n}: expected '<key or sha256:hex> <role>'")
        secret, role = parts
        digest = secret[7:] if secret.startswith("sha256:") else hash_key(secret)
        if len(digest) != 64:
            raise ApiKeyError(f"{path}:{n}: a sha256 digest has 64 hex digits")
        hashes[digest.lower()] = parse_role(role, f"{path}:{n}")
    return hashes


def new_api_key(role: Role | str, keys_file: Path | None = None) -> str:
    """A fresh random key for `role`; with `keys_file`, its hash line is appended there (mode 0600)."""
    role = parse_role(role.value if isinstance(role, Role) else role, "role")
    key = f"c360_{secrets.token_urlsafe(24)}"
    if keys_file is not None:
        with keys_file.open("a") as f:
            f.write(f"sha256:{hash_key(key)} {role.value}\n")
        keys_file.chmod(0o600)
    return key
