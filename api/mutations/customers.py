"""registerCustomer, linkIdentity, updateConsent."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timezone
from typing import Annotated

import strawberry

from api.errors import MutationError, MutationErrorCode, invalid, not_found
from api.mutations.common import changed_customer, refresh_offers, session_errors, text_field, write
from api.permissions import Authenticated
from api.types.common import Channel, ConsentMedium, ConsentPurpose, IdentityKind
from api.types.customer import Customer
from graph.consents import upsert_consents
from graph.customers import IdentityHeld, link_identities, register_customer
from graph.identifiers import identifier_key
from graph.profiles import customer_id_by_identity, known_ids

MAX_IDENTITIES = 10
MAX_CONSENTS = 15


@strawberry.input(description="An identifier to link to a customer.")
class NewIdentity:
    kind: IdentityKind = strawberry.field(description="Kind of identifier.")
    value: str = strawberry.field(description="The identifier (e-mail is stored lower-case, a phone number as "
                                              "its digits with + and country code when given).")


@strawberry.input(description="A consent decision.")
class ConsentDecision:
    purpose: ConsentPurpose = strawberry.field(description="What the data may be used for.")
    medium: ConsentMedium = strawberry.field(description="Contact medium (ANY: all media).")
    granted: bool = strawberry.field(description="True to allow, false to refuse or withdraw.")


@strawberry.input(description="A person joining on the spot (at a till, kiosk, webshop or the service desk).")
class RegisterCustomerInput:
    channel: Channel = strawberry.field(description="Where the customer registers.")
    first_name: str | None = strawberry.field(default=None, description="Given name, at most 200 characters.")
    last_name: str | None = strawberry.field(default=None, description="Family name, at most 200 characters.")
    email: str | None = strawberry.field(default=None, description="E-mail; also linked as an identity.")
    phone: str | None = strawberry.field(default=None, description="Phone; also linked as an identity.")
    birthday: date | None = strawberry.field(default=None, description="Date of birth.")
    home_store: strawberry.ID | None = strawberry.field(default=None, description="Home store (kiosk/till store).")
    retailer_id: strawberry.ID | None = strawberry.field(default=None, description="Retailer; needed only when "
                                                         "the graph holds several and no home store is given.")
    identities: list[NewIdentity] = strawberry.field(default_factory=list, description=f"Cards, accounts ... "
                                                     f"(at most {MAX_IDENTITIES}).")
    consents: list[ConsentDecision] = strawberry.field(default_factory=list, description=f"Decisions given at sign-up "
                                                       f"(at most {MAX_CONSENTS}).")


@strawberry.type(description="Result of a customer mutation: the customer as now stored, or errors.")
class CustomerPayload:
    customer: Customer | None = strawberry.field(description="The customer; null when nothing was written.")
    errors: list[MutationError] = strawberry.field(description="Problems with the input; empty on success.")


def _identity_rows(customer_id: str, channel: str, pairs: list[tuple[str, str]]) -> list[dict[str, object]]:
    now = datetime.now(timezone.utc)
    return [{"customer_id": customer_id, "kind": kind, "value": value, "channel_id": channel, "since": now}
            for kind, value in pairs]


async def _conflicts(info: strawberry.Info, customer_id: str | None,
                     fields: dict[tuple[str, str], str]) -> list[MutationError]:
    """CONFLICT for each identifier (kind, value) -> input field that another customer holds, as identity or contact."""
    holders = {pair: await customer_id_by_identity(info.context.graph, *pair) for pair in fields}
    return [_conflict(fields[pair], pair[0], holder) for pair, holder in holders.items()
            if holder is not None and holder != customer_id]


def _conflict(field: str, kind: str, holder: str) -> MutationError:
    return MutationError(code=MutationErrorCode.CONFLICT, field=field,
                         message=f"this {kind} belongs to customer {holder}; merge the profiles instead")


def _identity_problem(kind: str, value: str) -> str | None:
    """Why an identifier of this kind cannot be stored, or None."""
    if kind == "phone" and not identifier_key(kind, value):
        return "not a phone number: no digits"
    if kind == "email" and "@" not in value:
        return "not an e-mail address"
    return None


def _register_errors(data: RegisterCustomerInput) -> list[MutationError]:
    errors: list[MutationError] = []
    for name in ("first_name", "last_name", "phone", "email"):
        text_field(getattr(data, name), _camel(name), errors, most=200)
    for kind in ("email", "phone"):
        value = getattr(data, kind)
        if value and (problem := _identity_problem(kind, value)):
            errors.append(invalid(kind, problem))
    if data.birthday and data.birthday > date.today():
        errors.append(invalid("birthday", f"{data.birthday.isoformat()} is in the future"))
    if len(data.identities) > MAX_IDENTITIES:
        errors.append(MutationError(code=MutationErrorCode.TOO_MANY, field="identities",
                                    message=f"at most {MAX_IDENTITIES} identities"))
    if len(data.consents) > MAX_CONSENTS:
        errors.append(MutationError(code=MutationErrorCode.TOO_MANY, field="consents",
                                    message=f"at most {MAX_CONSENTS} consents"))
    for n, identity in enumerate(data.identities):
        if text_field(identity.value, f"identities.{n}.value", errors, required=True, most=200) and \
                (problem := _identity_problem(identity.kind.value, identity.value)):
            errors.append(invalid(f"identities.{n}.value", problem))
    return errors


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


async def _retailer(info: strawberry.Info, data: RegisterCustomerInput) -> tuple[str | None, list[MutationError]]:
    known = await known_ids(info.context.graph, stores=[str(data.home_store)] if data.home_store else [],
                            retailer=str(data.retailer_id) if data.retailer_id else None)
    if data.home_store:
        retailer = known["stores"].get(str(data.home_store))
        return retailer, [] if retailer else [not_found("homeStore", f"no store {data.home_store}")]
    if data.retailer_id:
        if str(data.retailer_id) not in known["retailers"]:
            return None, [not_found("retailerId", f"no retailer {data.retailer_id}")]
        return str(data.retailer_id), []
    if len(known["retailers"]) == 1:
        return next(iter(known["retailers"])), []
    return None, [invalid("retailerId", "give retailerId or homeStore: the graph holds several retailers")]


@strawberry.type
class CustomerMutation:
    @strawberry.mutation(description="Register a new customer (a non-member joining at a till, kiosk or webshop) "
                                     "with identities and consents; the new id is generated. Every role (a web or "
                                     "kiosk key goes on with the new customer's customerSession).",
                         permission_classes=[Authenticated])
    async def register_customer(self, info: strawberry.Info, input: Annotated[RegisterCustomerInput, strawberry.argument(
            description="The new customer.")]) -> CustomerPayload:
        errors = _register_errors(input)
        fields = {(k, identifier_key(k, v)): f for k, v, f in (("email", input.email, "email"),
                                                               ("phone", input.phone, "phone")) if v}
        fields |= {(i.kind.value, identifier_key(i.kind.value, i.value)): f"identities.{n}.value"
                   for n, i in enumerate(input.identities) if i.value.strip()}
        retailer, problems = await _retailer(info, input)
        errors += problems + await _conflicts(info, None, fields)
        if errors:
            return CustomerPayload(customer=None, errors=errors)
        customer_id = f"C{secrets.token_hex(6).upper()}"
        props = {"first_name": text_field(input.first_name, "", []), "last_name": text_field(input.last_name, "", []),
                 "email": identifier_key("email", input.email) if input.email else None,
                 "phone": identifier_key("phone", input.phone) if input.phone else None,
                 "birthday": input.birthday, "preferred_channel": input.channel.value, "anonymous": False,
                 "created_at": datetime.now(timezone.utc)}
        row = {"customer_id": customer_id, "retailer_id": retailer, "region_id": None, "props": props,
               "home_store_id": str(input.home_store) if input.home_store else None}
        try:  # one transaction: no half-registered customer, and no identifier linked twice by a concurrent call
            await write(info, register_customer, row, _identity_rows(customer_id, input.channel.value, list(fields)),
                        _consent_rows(customer_id, input.consents, input.channel.value))
        except IdentityHeld as held:
            errors = [_conflict(fields[pair], pair[0], holder) for pair, holder in held.holders.items()]
            return CustomerPayload(customer=None, errors=errors)
        return CustomerPayload(customer=await changed_customer(info, customer_id), errors=[])

    @strawberry.mutation(description="Link an identifier (card, account, phone ...) to a customer; CONFLICT when "
                                     "another customer holds it. Every role; web and kiosk only with the "
                                     "customer's session (X-Customer-Session; FORBIDDEN otherwise).",
                         permission_classes=[Authenticated])
    async def link_identity(
        self, info: strawberry.Info,
        customer: Annotated[strawberry.ID, strawberry.argument(description="Customer id.")],
        identity: Annotated[NewIdentity, strawberry.argument(description="The identifier.")],
        channel: Annotated[Channel, strawberry.argument(description="Where it was given.")],
    ) -> CustomerPayload:
        if refused := session_errors(info, str(customer)):
            return CustomerPayload(customer=None, errors=refused)
        errors: list[MutationError] = []
        value = text_field(identity.value, "identity.value", errors, required=True, most=200)
        if value and (problem := _identity_problem(identity.kind.value, value)):
            errors.append(invalid("identity.value", problem))
            value = None
        known = await known_ids(info.context.graph, customers=[str(customer)])
        if str(customer) not in known["customers"]:
            errors.append(not_found("customer", f"no customer {customer}"))
        live = known["survivors"].get(str(customer), str(customer))
        fields = {(identity.kind.value, identifier_key(identity.kind.value, value)): "identity.value"} if value else {}
        errors += await _conflicts(info, live, fields)
        if errors:
            return CustomerPayload(customer=None, errors=errors)
        try:  # the identifier is linked only if nobody took it since the check
            await write(info, link_identities, _identity_rows(str(customer), channel.value, list(fields)))
        except IdentityHeld as held:
            return CustomerPayload(customer=None, errors=[_conflict("identity.value", k, c)
                                                          for (k, _), c in held.holders.items()])
        return CustomerPayload(customer=await changed_customer(info, live), errors=[])

    @strawberry.mutation(description="Record a consent decision for one purpose and medium; the newest decision "
                                     "wins. Every role; web and kiosk only with the customer's session "
                                     "(X-Customer-Session; FORBIDDEN otherwise).", permission_classes=[Authenticated])
    async def update_consent(
        self, info: strawberry.Info,
        customer: Annotated[strawberry.ID, strawberry.argument(description="Customer id.")],
        decision: Annotated[ConsentDecision, strawberry.argument(description="The decision.")],
        channel: Annotated[Channel, strawberry.argument(description="Where it was given (stored as source).")],
    ) -> CustomerPayload:
        if refused := session_errors(info, str(customer)):
            return CustomerPayload(customer=None, errors=refused)
        known = await known_ids(info.context.graph, customers=[str(customer)])
        if str(customer) not in known["customers"]:
            return CustomerPayload(customer=None, errors=[not_found("customer", f"no customer {customer}")])
        live = known["survivors"].get(str(customer), str(customer))
        await write(info, upsert_consents, _consent_rows(str(customer), [decision], channel.value))
        refresh_offers(info, live, "consent")
        return CustomerPayload(customer=await changed_customer(info, live), errors=[])


def _consent_rows(customer_id: str, decisions: list[ConsentDecision], source: str) -> list[dict[str, object]]:
    now = datetime.now(timezone.utc)
    return [{"customer_id": customer_id, "purpose": d.purpose.value, "medium": d.medium.value, "granted": d.granted,
             "updated_at": now, "source": source} for d in decisions]
