"""Errors the API shows callers: domain errors pass through with a code, everything else is masked.

    ApiError (extensions.code)
      ├── BadInput            BAD_USER_INPUT, names the argument
      ├── Unauthenticated     UNAUTHENTICATED (no or unknown API key)
      ├── Forbidden           FORBIDDEN (the role may not read or do this)
      └── Unavailable         GRAPH_UNAVAILABLE | CACHE_UNAVAILABLE
Neo4j and Redis connection errors become Unavailable; any other exception becomes INTERNAL_ERROR
with a fixed message (the stack trace goes to the server log only).
"""

from __future__ import annotations

import logging
from enum import Enum

import neo4j.exceptions
import redis.exceptions
import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors

log = logging.getLogger("api")


class ApiError(Exception):
    """An error meant for the caller: a message and a machine-readable code."""

    code = "INTERNAL_ERROR"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code or self.code
        self.field = field
        self.extensions: dict[str, object] = {"code": self.code}
        if field:
            self.extensions["field"] = field


class BadInput(ApiError):
    code = "BAD_USER_INPUT"


class Unauthenticated(ApiError):
    code = "UNAUTHENTICATED"


class Forbidden(ApiError):
    code = "FORBIDDEN"


class Unavailable(ApiError):
    code = "SERVICE_UNAVAILABLE"


GRAPH_DOWN = (neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.SessionExpired,
              neo4j.exceptions.TransientError, OSError)
CACHE_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


def graph_unavailable() -> Unavailable:
    return Unavailable("The customer graph (Neo4j) is unavailable; try again shortly.", code="GRAPH_UNAVAILABLE")


def cache_unavailable() -> Unavailable:
    return Unavailable("The offer cache (Redis) is unavailable; try again shortly.", code="CACHE_UNAVAILABLE")


def public_error(error: GraphQLError) -> GraphQLError:
    """The error as the caller should see it: domain errors as they are, outages with a code, else masked."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return error
    if isinstance(original, ApiError):
        return _with(error, str(original), original.extensions)
    if isinstance(original, CACHE_DOWN + GRAPH_DOWN):
        log.warning("%s at %s: %s", type(original).__name__, error.path, original)
    if isinstance(original, CACHE_DOWN):
        return _with(error, str(cache_unavailable()), {"code": "CACHE_UNAVAILABLE"})
    if isinstance(original, GRAPH_DOWN):
        return _with(error, str(graph_unavailable()), {"code": "GRAPH_UNAVAILABLE"})
    log.error("unexpected error at %s", error.path, exc_info=original)
    return _with(error, "Unexpected error.", {"code": "INTERNAL_ERROR"})


def _with(error: GraphQLError, message: str, extensions: dict[str, object]) -> GraphQLError:
    return GraphQLError(message, nodes=error.nodes, source=error.source, positions=error.positions,
                        path=error.path, extensions=extensions)


class PublicErrors(MaskErrors):
    """MaskErrors that keeps our own errors and gives outages a code instead of a stack trace."""

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [public_error(e) for e in errors]

    def _process_result(self, result: object) -> None:
        # MaskErrors asks isinstance of a runtime-checkable Protocol: about 10 us on every request, with or
        # without errors; the attribute says the same
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]


@strawberry.enum(description="Why a mutation did not (fully) do what was asked.")
class MutationErrorCode(Enum):
    INVALID = "invalid"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    TOO_MANY = "too_many"
    FORBIDDEN = "forbidden"


@strawberry.type(description="A problem with a mutation's input: what, where (input field) and why.")
class MutationError:
    code: MutationErrorCode = strawberry.field(description="Machine-readable kind of problem.")
    field: str | None = strawberry.field(description="Input field at fault (camelCase path), null if none.")
    message: str = strawberry.field(description="Human-readable explanation.")


def invalid(field: str, message: str) -> MutationError:
    return MutationError(code=MutationErrorCode.INVALID, field=field, message=message)


def not_found(field: str, message: str) -> MutationError:
    return MutationError(code=MutationErrorCode.NOT_FOUND, field=field, message=message)
