"""Every setting, read from the environment (and an optional `.env`) in one place."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Configuration; environment variables are named in each field's alias."""

    model_config = SettingsConfigDict(env_prefix="C360_", env_file=".env", extra="ignore")

    neo4j_uri: str | None = Field(None, validation_alias=AliasChoices("NEO4J_URI"))
    neo4j_user: str = Field("neo4j", validation_alias=AliasChoices("NEO4J_USER"))
    neo4j_password: SecretStr | None = Field(None, validation_alias=AliasChoices("NEO4J_PASSWORD"))
    neo4j_database: str = Field("neo4j", validation_alias=AliasChoices("NEO4J_DATABASE"))
    redis_url: str | None = Field(None, validation_alias=AliasChoices("REDIS_URL"))

    data_dir: Path = Path(".local")
    neo4j_port: int = 0
    redis_port: int = 0
    neo4j_heap: str = "2g"
    neo4j_pagecache: str = "1g"

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_workers: int = Field(1, ge=1)
    api_graphiql: bool = True
    api_keys: str = ""
    api_keys_file: Path | None = None
    api_warm_up_every_s: float = Field(60.0, ge=0)
    session_secret: SecretStr | None = None
    session_minutes: int = Field(30, ge=1)


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the environment variable."""


def load_settings() -> Settings:
    """Read settings, turning pydantic's error into one that names the variable."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(_describe(err) for err in exc.errors())
        raise SettingsError(f"invalid configuration: {problems}") from None


def _describe(err: dict) -> str:  # type: ignore[type-arg]
    field = str(err["loc"][0]) if err.get("loc") else "?"
    env = field.upper() if field.upper().startswith(("NEO4J_", "REDIS_")) else f"C360_{field.upper()}"
    return f"{env}: {err['msg']}"
