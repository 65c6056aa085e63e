"""Customer sessions: a web or kiosk key acts only on the customer it identified.

A `web` or `kiosk` key reaches a customer through an identifier the customer showed (a card scanned, a web
login: `customerByIdentity`, `nextBestOffers(identity:)`) or by registering them (`registerCustomer`). The
customer it gets back carries `customerSession`: a token signed by this API naming the customer and the key,
valid for `ApiConfig.session_minutes`. Sent back as the header `X-Customer-Session` (a subscription: in
connection_init, `{"customerSession": ...}`), it lets the same key name that customer by id. Other roles need
no session.
"""

from __future__ import annotations

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from api.config import Role
from api.permissions import Caller

SESSION_HEADER = "x-customer-session"
BOUND_ROLES = frozenset({Role.WEB, Role.KIOSK})


class CustomerSessions:
    """Issues and checks customer-session tokens (itsdangerous: HMAC-signed, timestamped)."""

    def __init__(self, secret: str, minutes: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="c360.customer-session")
        self.minutes = minutes

    def issue(self, customer_id: str, caller: Caller) -> str | None:
        """A session for a web or kiosk caller; None for other roles, which need none."""
        if caller.role not in BOUND_ROLES:
            return None
        return self._serializer.dumps([customer_id, caller.key_id])

    def refusal(self, token: str | None, caller: Caller, customer_id: str) -> str | None:
        """Why `caller` may not name `customer_id` with `token`; None if it may."""
        if caller.role not in BOUND_ROLES:
            return None
        why = self._problem(token, caller, customer_id)
        if why is None:
            return None
        return (f"Role {caller.role.value} may name a customer by id only with that customer's session ({why}): "
                "identify the customer first (customerByIdentity or registerCustomer) and send its "
                "customerSession as the X-Customer-Session header.")

    def _problem(self, token: str | None, caller: Caller, customer_id: str) -> str | None:
        if not token:
            return "no X-Customer-Session sent"
        try:
            named, key_id = self._serializer.loads(token, max_age=self.minutes * 60)
        except SignatureExpired:
            return f"the session is older than {self.minutes} minutes"
        except (BadData, TypeError, ValueError):
            return "the session is not one this API issued"
        if key_id != caller.key_id:
            return "the session was issued to another API key"
        if named != customer_id:
            return "the session is for another customer"
        return None
