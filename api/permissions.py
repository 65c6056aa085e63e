"""Who may read or do what: roles from API keys, declared on fields as permission classes.

| permission          | service_desk | web | kiosk | integrator | admin |
|---------------------|:-:|:-:|:-:|:-:|:-:|
| Authenticated       | x | x | x | x | x |
| CanReadPII          | x |   |   | x | x |
| CanSearchCustomers  | x |   |   | x | x |
| CanHandleCases      | x |   |   | x | x |
| CanMergeCustomers   | x |   |   |   | x |
| CanRecordPurchases  |   |   |   | x | x |
| CanIntrospect       |   |   |   | x | x |
| IsAdmin             |   |   |   |   | x |
Every granted CanReadPII check is noted on the request and written to the audit log afterwards.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from strawberry.permission import BasePermission

from api.config import Role, hash_key
from api.errors import Forbidden, Unauthenticated

S, W, K, I, A = Role.SERVICE_DESK, Role.WEB, Role.KIOSK, Role.INTEGRATOR, Role.ADMIN


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: its role and a short, non-secret key id for the audit log."""

    role: Role
    key_id: str


def authenticate(key: str | None, key_hashes: Mapping[str, Role]) -> Caller | None:
    """The caller whose key hashes to a configured digest (compared in constant time), else None."""
    if not key:
        return None
    digest = hash_key(key)
    found: Role | None = None
    for known, role in key_hashes.items():
        if hmac.compare_digest(known, digest):
            found = role
    return Caller(found, digest[:12]) if found else None


def key_from_headers(headers: Mapping[str, str]) -> str | None:
    """`Authorization: Bearer <key>` or `X-API-Key: <key>`."""
    auth = headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return headers.get("x-api-key")


def require(caller: Caller | None, roles: frozenset[Role], what: str) -> Caller:
    """The caller if its role is in `roles`; raises Unauthenticated or Forbidden otherwise."""
    if caller is None:
        raise Unauthenticated("No valid API key: send 'Authorization: Bearer <key>'.")
    if caller.role not in roles:
        raise Forbidden(f"Role {caller.role.value} may not {what}.")
    return caller


class RolePermission(BasePermission):
    """Grants a field to the roles in `roles`; the error says which role was refused and why."""

    roles: ClassVar[frozenset[Role]] = frozenset(Role)
    what: ClassVar[str] = "read this field"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        require(info.context.caller, self.roles, self.what)
        return True


class Authenticated(RolePermission):
    what = "call the API"


class CanReadPII(RolePermission):
    """Personal data: contact, address, birthday, last name, demographics, identity values."""

    roles = frozenset({S, I, A})
    what = "read personal data (PII)"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        super().has_permission(source, info, **kwargs)
        info.context.note_pii_read(source.customer_id, info.field_name)
        return True


class CanSearchCustomers(RolePermission):
    roles = frozenset({S, I, A})
    what = "search or list customers"


class CanHandleCases(RolePermission):
    roles = frozenset({S, I, A})
    what = "read or write service cases"


class CanMergeCustomers(RolePermission):
    roles = frozenset({S, A})
    what = "merge or unmerge customers"


class CanRecordPurchases(RolePermission):
    roles = frozenset({I, A})
    what = "record purchases"


class IsAdmin(RolePermission):
    roles = frozenset({A})
    what = "read the audit log"


INTROSPECTION_ROLES = frozenset({I, A})
