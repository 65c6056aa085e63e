"""Generated people on top of the demo's real households: names, contact, identities, consents, profiles.

Everything here is invented (seeded); the households' demographics and purchases are real. A few extra
web-only profiles (`cj:gen-C...`) are second profiles of real households, sharing their e-mail or phone:
the work identity resolution and `mergeCustomers` have to do.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from loaders.synthetic import names, people
from loaders.synthetic.clock import DAY, Period
from loaders.synthetic.files import Table, ids, pick
from loaders.synthetic.journey import Journey

DUPLICATES = 10                      # web-only second profiles of real households
PROFILE_SHARE = (0.45, 0.40, 0.15)   # store only, omnichannel (web + app), app-heavy
AGE_RANGE = {"19-24": (19, 24), "25-34": (25, 34), "35-44": (35, 44), "45-54": (45, 54), "55-64": (55, 64),
             "65+": (65, 85)}
REFERENCE = date(2017, 12, 31)       # ages in the demographics are taken on this day


def population(rng: np.random.Generator, journey: Journey, period: Period, stores: list[str]) -> people.Population:
    """The households (in journey order) followed by DUPLICATES second profiles of some of them."""
    households = journey.households["household_id"].to_numpy()
    h, n = len(households), len(households) + min(DUPLICATES, len(households))
    original = np.concatenate([np.full(h, -1), rng.choice(h, n - h, replace=False)])
    person = np.where(original >= 0, original, np.arange(n))
    female = (rng.random(n) < 0.55)[person]
    first = [(names.US_FEMALE if f else names.US_MALE)[k] for f, k in zip(female.tolist(),
                                                                        rng.integers(0, 42, n)[person].tolist())]
    last = [names.US_LAST[k] for k in rng.integers(0, len(names.US_LAST), n)[person].tolist()]
    profile = rng.choice(3, n, p=PROFILE_SHARE)
    profile[h:] = 2
    email, phone = _contact(rng, first, last, original)
    first_seen, last_seen = _span(journey, households, period)
    created = np.concatenate([-(rng.uniform(20, 2500, h) * DAY).astype(np.int64), np.zeros(n - h, dtype=np.int64)])
    span = np.maximum(last_seen[original[h:]] - np.maximum(first_seen[original[h:]], 0) - 30 * DAY, DAY)
    created[h:] = np.maximum(first_seen[original[h:]], 0) + (rng.random(n - h) * span).astype(np.int64)
    until = np.concatenate([last_seen, last_seen[original[h:]]])
    return people.Population(
        customer_ids=[f"cj:{x}" for x in households.tolist()] + ids("cj:gen-C", np.arange(1, n - h + 1), 4),
        original=original, female=female, age=_ages(rng, journey, n)[person], first=first, last=last, email=email,
        phone=phone, card=[f"4451{v:09d}" if i < h else "" for i, v in
                           enumerate(rng.choice(10**9, n, replace=False).tolist())],
        web_account=[f"W{v:08d}" if p > 0 else "" for v, p in
                     zip(rng.choice(10**8, n, replace=False).tolist(), profile.tolist())],
        profile=profile, home_store=np.concatenate([_home_stores(journey, households, stores),
                                                    np.full(n - h, -1)]),
        created=created, active_until=until, rate=np.where(profile == 2, 1.2, np.where(profile == 1, 0.5, 0.0)),
        staples=np.zeros(n, dtype=np.int64))


def _contact(rng: np.random.Generator, first: list[str], last: list[str],
             original: np.ndarray) -> tuple[list[str], list[str]]:
    """E-mail (~90%) and phone (~70%); a second profile shares its household's e-mail, phone or both."""
    n = len(original)
    has_email, has_phone = rng.random(n) < 0.9, rng.random(n) < 0.7
    shares = rng.choice(3, n, p=(0.5, 0.3, 0.2))  # e-mail, phone, both
    dup = np.flatnonzero(original >= 0)
    has_email[original[dup][shares[dup] != 1]] = True
    has_phone[original[dup][shares[dup] != 0]] = True
    domains = ("example.com", "example.net", "example.org")
    email = [f"{names.email_part(f)}.{names.email_part(la)}{i}@{domains[d]}" if k else ""
             for i, (f, la, d, k) in enumerate(zip(first, last, rng.integers(0, 3, n).tolist(), has_email.tolist()))]
    numbers = rng.choice(len(names.US_AREA_CODES) * 100, n, replace=False).tolist()
    phone = [f"+1 {names.US_AREA_CODES[v // 100]} 555 01{v % 100:02d}" if k else ""
             for v, k in zip(numbers, has_phone.tolist())]
    for d in dup.tolist():
        o, s = int(original[d]), int(shares[d])
        email[d] = email[o] if s != 1 else email[d]
        phone[d] = phone[o] if s != 0 else phone[d]
    return email, phone


def _span(journey: Journey, households: np.ndarray, period: Period) -> tuple[np.ndarray, np.ndarray]:
    """Local seconds of each household's first and last basket."""
    local = local_seconds(journey.lines["at"], period)
    grouped = pd.Series(local, index=journey.lines["household_id"].to_numpy()).groupby(level=0)
    return grouped.min().reindex(households).to_numpy(), grouped.max().reindex(households).to_numpy() + 3600


def local_seconds(times: pd.Series, period: Period) -> np.ndarray:
    """UTC times as seconds since local midnight of the period's start."""
    local = times.dt.tz_convert(period.timezone).dt.tz_localize(None)
    return ((local - pd.Timestamp(period.start)).dt.total_seconds()).to_numpy().astype(np.int64)


def _ages(rng: np.random.Generator, journey: Journey, n: int) -> np.ndarray:
    """Ages drawn within each household's published age band (duplicates take their household's later)."""
    bands = journey.households["age"].fillna("").tolist()
    low = np.array([AGE_RANGE.get(b, (25, 70))[0] for b in bands] + [25] * (n - len(bands)))
    high = np.array([AGE_RANGE.get(b, (25, 70))[1] for b in bands] + [70] * (n - len(bands)))
    return (low + rng.random(n) * (high - low + 1)).astype(np.int64)


def _home_stores(journey: Journey, households: np.ndarray, stores: list[str]) -> np.ndarray:
    """The store where each household has most baskets (lowest id on a tie), as an index into `stores`."""
    visits = journey.lines.groupby(["household_id", "store_id"])["basket_id"].nunique().reset_index()
    visits = visits.sort_values(["household_id", "basket_id", "store_id"], ascending=[True, False, True])
    home = visits.drop_duplicates("household_id").set_index("household_id")["store_id"].reindex(households)
    position = {s: i for i, s in enumerate(stores)}
    return np.array([position[f"cj:{s}"] for s in home.tolist()])


def identities(rng: np.random.Generator, pop: people.Population, period: Period) -> Table:
    """Card, e-mail, phone and web account; plus the member number, partners' cards, old e-mails, partner ids."""
    base = pd.DataFrame(people.identities(rng, pop, period))
    real = np.flatnonzero(pop.original < 0)
    since = period.iso(np.maximum(pop.created, -3650 * DAY))
    extra = [(pop.customer_ids[i], "member_no", pop.customer_ids[i].removeprefix("cj:"), "pos", since[i])
             for i in real.tolist()]
    second_card = real[rng.random(len(real)) < 0.25]
    extra += [(pop.customer_ids[i], "loyalty_card", f"4452{v:09d}", "pos", since[i])
              for i, v in zip(second_card.tolist(), rng.choice(10**9, len(second_card), replace=False).tolist())]
    old_mail = [i for i in real[rng.random(len(real)) < 0.15].tolist() if pop.email[i]]
    extra += [(pop.customer_ids[i], "email", pop.email[i].split("@")[0] + "@old-mail.example", "web",
               period.iso(np.array([-(400 + 7 * i) * DAY]))[0]) for i in old_mail]
    partner = np.flatnonzero((rng.random(len(pop)) < 0.1) & (pop.profile > 0))
    extra += [(pop.customer_ids[i], "external", f"delivery-partner:{v:07d}", "third_party", since[i])
              for i, v in zip(partner.tolist(), rng.choice(10**7, len(partner), replace=False).tolist())]
    frame = pd.concat([base, pd.DataFrame(extra, columns=base.columns)])
    frame = frame.sort_values(["customer_id", "kind", "value"], kind="stable")
    return {c: frame[c].tolist() for c in frame.columns}


def customers(rng: np.random.Generator, pop: people.Population, journey: Journey, stores: list[str],
              spend_minor: np.ndarray, period: Period) -> Table:
    """Real demographics (households) with generated names, contact, birthday, gender, loyalty and tags."""
    n, h = len(pop), len(journey.households)
    demo = journey.households.reset_index(drop=True)
    band = {c: demo[c].fillna("").tolist() + [""] * (n - h) for c in
            ("age", "income", "home_ownership", "marital_status", "household_size", "household_comp", "kids_count")}
    card = np.array([bool(c) for c in pop.card])
    rank = np.argsort(np.argsort(-spend_minor)) / max(n, 1)
    tier = np.where(card, np.where(rank < 0.1, 2, np.where(rank < 0.4, 1, 0)), -1)
    born = [REFERENCE.replace(year=REFERENCE.year - int(a)).toordinal() - int(d) for a, d in
            zip(pop.age.tolist(), rng.integers(0, 365, n).tolist())]
    address = [f"{k} {names.US_STREETS[s]}, {names.US_TOWNS[t]}" if a else "" for k, s, t, a in zip(
        rng.integers(1, 2400, n).tolist(), rng.integers(0, len(names.US_STREETS), n).tolist(),
        rng.integers(0, len(names.US_TOWNS), n).tolist(), (rng.random(n) < 0.95).tolist())]
    tags = np.where(rng.random(n) < 0.02, 0, np.where((pop.age < 25) & (rng.random(n) < 0.4), 1, -1))
    return {
        "customer_id": pop.customer_ids, "retailer_id": ["cj"] * n, "first_name": pop.first, "last_name": pop.last,
        "email": pop.email, "phone": pop.phone, "address": address,
        "birthday": [date.fromordinal(b).isoformat() for b in born], "gender": np.where(pop.female, "F", "M"),
        "age_band": band["age"], "income_band": band["income"], "home_ownership": band["home_ownership"],
        "marital_status": band["marital_status"], "household_size": band["household_size"],
        "household_comp": band["household_comp"], "kids_count": band["kids_count"],
        "loyalty_tier": pick(("bronze", "silver", "gold"), tier),
        "loyalty_points": [str(s // 100) if c else "" for s, c in zip(spend_minor.tolist(), card.tolist())],
        "tags": pick(("staff", "student"), tags), "home_store_id": pick(stores, pop.home_store),
        "preferred_channel": pick(("pos", "web", "app"), np.where(pop.profile == 0, 0, np.where(
            pop.profile == 1, rng.choice(3, n, p=(0.6, 0.3, 0.1)), 2))),
        "created_at": period.iso(pop.created),
    }
