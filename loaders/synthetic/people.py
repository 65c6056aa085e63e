"""Customers of the generated retailer: profiles, duplicate profiles, identities and consents.

About 2% of profiles are a second profile of another customer (a web sign-up without the loyalty
card) sharing that customer's e-mail, phone or both: the work identity resolution has to find.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from loaders.synthetic import names
from loaders.synthetic.catalogue import RETAILER, Catalogue
from loaders.synthetic.clock import DAY, Period
from loaders.synthetic.files import Table, ids, pick

DUPLICATE_SHARE = 0.02
DORMANT_SHARE = 0.12
PROFILES = ("store", "omnichannel", "online")
AGE_BANDS = ((18, "18-24"), (25, "25-34"), (35, "35-44"), (45, "45-54"), (55, "55-64"), (65, "65+"))
INCOME_BANDS = ("under 20K", "20-35K", "35-50K", "50-75K", "75-100K", "100K+")


@dataclass(frozen=True)
class Population:
    """One entry per customer profile; `original` is the profile a duplicate copies, else -1."""

    customer_ids: list[str]
    original: np.ndarray
    female: np.ndarray
    age: np.ndarray
    first: list[str]
    last: list[str]
    email: list[str]          # "" when unknown
    phone: list[str]
    card: list[str]
    web_account: list[str]
    profile: np.ndarray       # index into PROFILES
    home_store: np.ndarray    # -1 for online-only customers
    created: np.ndarray       # local seconds (negative: before the period)
    active_until: np.ndarray  # local seconds; earlier than the period's end for dormant customers
    rate: np.ndarray          # unplanned trips per week
    staples: np.ndarray       # number of consumables bought on a personal cycle

    def __len__(self) -> int:
        return len(self.original)


def build_population(rng: np.random.Generator, n: int, catalogue: Catalogue, period: Period) -> Population:
    """`n` profiles, the last ~2% (under shuffled ids) duplicates of earlier ones."""
    n_dup = int(round(n * DUPLICATE_SHARE)) if n >= 50 else 0
    original = np.full(n, -1)
    original[n - n_dup:] = rng.choice(n - n_dup, n_dup, replace=False)
    person = np.where(original >= 0, original, np.arange(n))
    female = (rng.random(n) < 0.52)[person]
    age = np.clip(rng.normal(46, 16, n), 18, 92).astype(np.int64)[person]
    first = [(names.FEMALE if f else names.MALE)[k] for f, k in
             zip(female.tolist(), rng.integers(0, 48, n)[person].tolist())]
    last = [names.LAST[k] for k in rng.integers(0, len(names.LAST), n)[person].tolist()]
    profile = rng.choice(3, n, p=(0.5, 0.35, 0.15))
    profile[original >= 0] = 2
    has_email = np.where(profile == 0, rng.random(n) < 0.5, True)
    has_phone = rng.random(n) < 0.55
    shares = rng.choice(3, n, p=(0.5, 0.3, 0.2))  # duplicate shares e-mail, phone, or both
    dup = original >= 0
    has_email[original[dup & (shares != 1)]] = True
    has_phone[original[dup & (shares != 0)]] = True
    email = _emails(rng, first, last, has_email)
    phone = [f"+31 6 {v:08d}" if h else "" for v, h in
             zip(rng.choice(90_000_000, n, replace=False).tolist(), has_phone.tolist())]
    for d, o, s in zip(np.flatnonzero(dup).tolist(), original[dup].tolist(), shares[dup].tolist()):
        email[d] = email[o] if s != 1 else email[d]
        phone[d] = phone[o] if s != 0 else phone[d]
    created, until = _lifetimes(rng, original, period)
    rate = np.minimum(rng.lognormal(np.log(0.06), 0.9, n), 2.0) * np.where(profile == 2, 0.6, 1.0)
    rate[dup] = 0.03
    staples = np.where(profile == 2, rng.poisson(0.5, n), np.minimum(rng.poisson(1.2 + 8 * rate), 6))
    staples[dup] = 0
    return Population(
        customer_ids=ids(f"{RETAILER}:C", rng.permutation(n) + 1, 7), original=original, female=female, age=age,
        first=first, last=last, email=email, phone=phone,
        card=[f"2600{v:09d}" if c else "" for v, c in
              zip(rng.choice(10**9, n, replace=False).tolist(), ((profile < 2) & (rng.random(n) < 0.85)).tolist())],
        web_account=[f"W{v:08d}" if w else "" for v, w in
                     zip(rng.choice(10**8, n, replace=False).tolist(), (profile > 0).tolist())],
        profile=profile, home_store=np.where(profile == 2, -1, _home_stores(rng, n, catalogue)),
        created=created, active_until=until, rate=rate, staples=staples)


def _emails(rng: np.random.Generator, first: list[str], last: list[str], known: np.ndarray) -> list[str]:
    domains = ("example.com", "example.net", "example.org")
    return [f"{names.email_part(f)}.{names.email_part(la)}{i}@{domains[d]}" if k else ""
            for i, (f, la, d, k) in enumerate(zip(first, last, rng.integers(0, 3, len(first)).tolist(),
                                                  known.tolist()))]


def _lifetimes(rng: np.random.Generator, original: np.ndarray, period: Period) -> tuple[np.ndarray, np.ndarray]:
    n = len(original)
    joined_before = rng.random(n) < 0.75
    created = np.where(joined_before, -np.minimum(rng.exponential(700, n), 3650) * DAY - DAY,
                       rng.uniform(0, period.length - 30 * DAY, n)).astype(np.int64)
    dup = original >= 0
    earliest = np.maximum(created[original[dup]], 0)
    created[dup] = (earliest + rng.random(dup.sum()) * (period.length - 14 * DAY - earliest)).astype(np.int64)
    until = np.full(n, period.length, dtype=np.int64)
    stop = period.length - rng.uniform(90, 270, n).astype(np.int64) * DAY
    dormant = (rng.random(n) < DORMANT_SHARE) & ~dup & (stop > np.maximum(created, 0) + 45 * DAY)
    until[dormant] = stop[dormant]
    return created, until


def _home_stores(rng: np.random.Generator, n: int, catalogue: Catalogue) -> np.ndarray:
    weights = np.array([3.0, 2.0, 1.0])[catalogue.store_format]
    return rng.choice(len(weights), n, p=weights / weights.sum())


def identities(rng: np.random.Generator, pop: Population, period: Period) -> Table:
    """Every identity a customer is known by, with the channel it was captured in."""
    kinds = (("loyalty_card", pop.card, "pos"), ("email", pop.email, "web"), ("phone", pop.phone, "app"),
             ("web_account", pop.web_account, "web"))
    rows = [(pop.customer_ids[i], kind, value, channel, i)
            for kind, values, channel in kinds for i, value in enumerate(values) if value]
    customer, kind, value, channel, index = (list(c) for c in zip(*rows))
    since = np.maximum(pop.created[index], -3650 * DAY) + rng.integers(0, 20 * DAY, len(rows))
    return {"customer_id": customer, "kind": kind, "value": value, "channel_id": channel,
            "since": period.iso(np.minimum(since, period.length - DAY))}


def consents(rng: np.random.Generator, pop: Population, period: Period) -> tuple[Table, np.ndarray]:
    """Current consent per customer, purpose and medium; and who may receive marketing now."""
    n = len(pop)
    answered = rng.random(n) < 0.95
    has = {"email": np.array([bool(e) for e in pop.email]), "sms": np.array([bool(p) for p in pop.phone]),
           "push": pop.profile > 0, "post": np.array([bool(c) for c in pop.card])}
    asks = [("marketing", m, p) for m, p in (("email", 0.55), ("sms", 0.3), ("push", 0.4), ("post", 0.2))]
    asks += [("personalisation", "any", 0.75), ("profiling", "any", 0.45)]
    parts: list[tuple[np.ndarray, str, str, np.ndarray, np.ndarray, np.ndarray]] = []
    may_market = np.zeros(n, dtype=bool)
    for purpose, medium, p in asks:
        who = np.flatnonzero(answered & has.get(medium, np.ones(n, dtype=bool)))
        granted = rng.random(len(who)) < p
        withdrawn = granted & (rng.random(len(who)) < 0.15)
        at = np.maximum(pop.created[who], 0) + rng.integers(0, 30 * DAY, len(who))
        later = at + (rng.random(len(who)) * np.maximum(period.length - at, DAY)).astype(np.int64)
        at = np.minimum(np.where(withdrawn, later, at), period.length - DAY)
        if purpose == "marketing":
            may_market[who[granted & ~withdrawn]] = True
        source = np.where(withdrawn, 2, np.where(granted, rng.integers(0, 2, len(who)), 0))
        parts.append((who, purpose, medium, granted & ~withdrawn, at, source))
    who = np.concatenate([p[0] for p in parts])
    return {"customer_id": pick(pop.customer_ids, who),
            "purpose": [p[1] for p in parts for _ in range(len(p[0]))],
            "medium": [p[2] for p in parts for _ in range(len(p[0]))],
            "granted": np.where(np.concatenate([p[3] for p in parts]), "true", "false"),
            "updated_at": period.iso(np.concatenate([p[4] for p in parts])),
            "source": pick(("signup_form", "preference_centre", "unsubscribe_link"),
                           np.concatenate([p[5] for p in parts]))}, may_market


def customers(rng: np.random.Generator, pop: Population, catalogue: Catalogue, period: Period,
              spend_minor: np.ndarray) -> Table:
    """The customers file; loyalty tier and points follow what each customer spent."""
    n = len(pop)
    card = np.array([bool(c) for c in pop.card])
    surveyed = card & (rng.random(n) < 0.6)
    kids = np.where(surveyed, rng.choice(4, n, p=(0.6, 0.17, 0.16, 0.07)), -1)
    adults = rng.choice((1, 2), n, p=(0.4, 0.6))
    rank = np.argsort(np.argsort(-spend_minor)) / max(n, 1)
    tier = np.where(card, np.where(rank < 0.1, 2, np.where(rank < 0.4, 1, 0)), -1)
    born = -(pop.age * 365.25 + rng.uniform(0, 365, n)).astype(np.int64) * DAY
    cities = [names.CITIES[r][1][k] for r, k in zip(catalogue.store_region[np.maximum(pop.home_store, 0)].tolist(),
                                                        rng.integers(0, 6, n).tolist())]
    address = [f"{names.display(names.LAST[s])}straat {h}, {z} {chr(65 + a)}{chr(65 + b)} {city}" if c else ""
               for s, h, z, a, b, city, c in zip(rng.integers(0, len(names.LAST), n).tolist(),
                                                  rng.integers(1, 200, n).tolist(), rng.integers(1000, 9999, n).tolist(),
                                                  rng.integers(0, 26, n).tolist(), rng.integers(0, 26, n).tolist(),
                                                  cities, card.tolist())]
    tags = np.where(rng.random(n) < 0.005, 1, np.where((pop.age < 25) & (rng.random(n) < 0.3), 2, 0))
    return {
        "customer_id": pop.customer_ids, "retailer_id": [RETAILER] * n, "first_name": pop.first,
        "last_name": [names.display(x) for x in pop.last], "email": pop.email, "phone": pop.phone,
        "address": address, "birthday": period.dates(born), "gender": np.where(pop.female, "F", "M"),
        "age_band": pick([b for _, b in AGE_BANDS], np.searchsorted([a for a, _ in AGE_BANDS], pop.age, "right") - 1),
        "income_band": pick(INCOME_BANDS, np.where(surveyed, rng.choice(6, n, p=(.12, .2, .22, .24, .13, .09)), -1)),
        "home_ownership": pick(("owner", "renter"), np.where(surveyed, rng.integers(0, 2, n), -1)),
        "marital_status": pick(("single", "married"), np.where(surveyed, adults - 1, -1)),
        "household_size": [str(a + k) if k >= 0 else "" for a, k in zip(adults.tolist(), kids.tolist())],
        "household_comp": pick(("1 adult", "2 adults", "1 adult with kids", "2 adults with kids"),
                               np.where(kids >= 0, adults - 1 + 2 * (kids > 0), -1)),
        "kids_count": [str(k) if k >= 0 else "" for k in kids.tolist()],
        "loyalty_tier": pick(("bronze", "silver", "gold"), tier),
        "loyalty_points": [str(s // 100) if c else "" for s, c in zip(spend_minor.tolist(), card.tolist())],
        "tags": pick(("staff", "student"), tags - 1), "home_store_id": pick(catalogue.store_ids, pop.home_store),
        "preferred_channel": pick(("pos", "web", "app"), np.where(pop.profile == 0, 0, np.where(
            pop.profile == 1, rng.choice(3, n, p=(0.6, 0.3, 0.1)), rng.choice((1, 2), n)))),
        "created_at": period.iso(pop.created),
    }
