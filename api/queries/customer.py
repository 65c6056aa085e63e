"""customer, customerByIdentity, searchCustomers."""

from __future__ import annotations

from typing import Annotated

import strawberry

from api.errors import BadInput
from api.permissions import Authenticated, CanSearchCustomers
from api.selection import bounded, child, customer_parts
from api.types.common import IdentityKind
from api.types.customer import Customer, load_customers
from api.types.order import PageInfo
from graph.identifiers import identifier_key
from graph.profiles import name_words, search_customer_ids

MAX_SEARCH = 50


@strawberry.type(description="A page of customers, ordered by id.")
class CustomerPage:
    nodes: list[Customer] = strawberry.field(description="This page's customers.")
    page_info: PageInfo = strawberry.field(description="How to fetch the next page.")


async def customer_by_id(info: strawberry.Info, customer_id: str) -> Customer | None:
    """The customer with the parts the query selects, in one graph round trip."""
    [customer] = await load_customers(info, [customer_id], customer_parts(info.selected_fields[0].selections))
    return customer


@strawberry.input(description="An identifier as scanned or typed: loyalty card, phone, e-mail ...")
class IdentityInput:
    kind: IdentityKind = strawberry.field(description="Kind of identifier.")
    value: str = strawberry.field(description="The identifier, as stored (cards: digits only); e-mail in any case, "
                                              "phone in any spelling (its digits, + and country code).")


async def resolve_identity(info: strawberry.Info, identity: IdentityInput) -> str | None:
    value = identifier_key(identity.kind.value, identity.value)
    if not value:
        raise BadInput("identity.value must not be empty (a phone number needs digits).", field="identity.value")
    return await info.context.services.offers.customer_id_by_identity(identity.kind.value, value)


@strawberry.type
class CustomerQuery:
    @strawberry.field(description="A customer by id (a merged-away id gives the surviving profile); null if "
                                  "unknown. Every role; personal fields need a PII role; web and kiosk only with "
                                  "the customer's session (header X-Customer-Session, see customerSession).",
                      permission_classes=[Authenticated])
    async def customer(self, info: strawberry.Info,
                       id: Annotated[strawberry.ID, strawberry.argument(description="Customer id.")]
                       ) -> Customer | None:
        info.context.require_session(str(id), "id")
        return await customer_by_id(info, str(id))

    @strawberry.field(description="The customer holding an identifier (card scanned at a till or kiosk, phone at "
                                  "the service desk); null if nobody holds it. Every role: how a web or kiosk key "
                                  "identifies a customer (its customerSession names them by id afterwards).",
                      permission_classes=[Authenticated])
    async def customer_by_identity(self, info: strawberry.Info,
                                   kind: Annotated[IdentityKind, strawberry.argument(description="Kind.")],
                                   value: Annotated[str, strawberry.argument(description="The identifier.")],
                                   ) -> Customer | None:
        customer_id = await resolve_identity(info, IdentityInput(kind=kind, value=value))
        return await customer_by_id(info, customer_id) if customer_id else None

    @strawberry.field(description=f"Customers matching every given criterion (name words, phone, e-mail or loyalty "
                                  f"card), by id, 1..{MAX_SEARCH} per page. service_desk, integrator and "
                                  "admin only.", permission_classes=[CanSearchCustomers])
    async def search_customers(
        self, info: strawberry.Info,
        name: Annotated[str | None, strawberry.argument(
            description="Name as typed, e.g. \"carol bell\", \"Bell\" or \"car\": each word must begin a word of "
                        "the first or last name, in any order, case-insensitively (accents must match); 2+ "
                        "letters in all.")] = None,
        phone: Annotated[str | None, strawberry.argument(
            description="Phone number in any spelling: its digits are compared, with the country code when given "
                        "(+1 614 555 0166 and +1-614-555-0166 are one number).")] = None,
        email: Annotated[str | None, strawberry.argument(description="E-mail, exact (case-insensitive).")] = None,
        card: Annotated[str | None, strawberry.argument(description="Loyalty card number, exact.")] = None,
        first: Annotated[int, strawberry.argument(description="Page size, 1..50.")] = 20,
        after: Annotated[str | None, strawberry.argument(description="endCursor of the previous page.")] = None,
    ) -> CustomerPage:
        bounded(first, MAX_SEARCH, "first")
        if not (phone or email or card or len("".join(name_words(name or ""))) >= 2):
            raise BadInput("give name (2+ letters), phone, email or card.", field="name")
        ids = await search_customer_ids(info.context.graph, name=name, phone=phone, email=email, card=card,
                                        after=after, limit=first + 1)
        nodes_field = child(info.selected_fields[0].selections, "nodes")
        parts = customer_parts(nodes_field.selections if nodes_field else [])
        customers = [c for c in await load_customers(info, ids[:first], parts) if c]
        return CustomerPage(nodes=customers, page_info=PageInfo(has_next_page=len(ids) > first,
                                                                end_cursor=ids[first - 1] if len(ids) > first else None))
