"""Generated omnichannel activity of the demo's households: web, app and kiosk orders, returns, events, cases.

Seeded and invented, but built from each household's real purchases: web baskets repeat what the
household buys in store, browsing views products of the types it buys, kiosk visits happen during its
real store trips at its home store and show what that store carries. Ids carry `gen-`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from loaders.synthetic.clock import DAY, Period
from loaders.synthetic.demo_people import local_seconds
from loaders.synthetic.engagement import STATUSES, SUBJECTS, case_notes
from loaders.synthetic.files import Table, ids, money, pick
from loaders.synthetic.journey import Journey
from loaders.synthetic.people import Population

ONLINE_ORDERS = (0.0, 5.0, 10.0, 2.0)   # web/app orders per year: store-only, omnichannel, app-heavy, 2nd profile
SESSIONS_PER_WEEK = (0.0, 0.2, 0.5, 0.15)
KIOSK_VISIT_SHARE = 0.08                # of a household's baskets at a home store with a kiosk
GUEST_SHARE = 0.10                      # anonymous sessions, relative to customers' sessions


@dataclass(frozen=True)
class Shop:
    """What the generated activity draws from: products, stores, each person's real purchases."""

    product_ids: list[str]
    price: np.ndarray          # minor units; < 0 when unknown
    kind: np.ndarray           # product type (the most specific category) as an integer
    type_names: list[str]
    usable: np.ndarray         # listed with a price: may appear in generated orders and views
    store_ids: list[str]
    kiosk: np.ndarray          # per store: has a kiosk
    carries: list[np.ndarray]  # per store: product indices on its shelf
    bought: list[np.ndarray]   # per person: product indices of their real lines (a second profile: its household's)
    trips: list[np.ndarray]    # per person: local seconds of their real baskets at their home store
    popular: np.ndarray        # products by units sold in the demo, most first


def shop(journey: Journey, pop: Population, stores: list[str], kiosk: np.ndarray, period: Period) -> Shop:
    """Index the journey's products, stores and lines for drawing."""
    products, lines = journey.products, journey.lines
    index = {p: i for i, p in enumerate(products["product_id"].tolist())}
    kind, type_names = pd.factorize(products["product_type"].fillna(products["product_category"]).fillna(""))
    line_product = lines["product_id"].map(index).to_numpy()
    person_of = {int(c.removeprefix("cj:")): i for i, c in enumerate(pop.customer_ids) if pop.original[i] < 0}
    line_person = lines["household_id"].map(person_of).to_numpy()
    by_person = [line_product[line_person == i] for i in range(len(pop))]
    store_of = {s: i for i, s in enumerate(stores)}
    pairs = journey.tables["store_products"]
    carried_store = np.array([store_of[s] for s in pairs["store_id"]])
    carried_product = np.array([index[int(p.removeprefix("cj:"))] for p in pairs["product_id"]])
    units = np.bincount(line_product, weights=lines["quantity"].clip(lower=0).to_numpy(), minlength=len(products))
    usable = (products["price_minor"].to_numpy() > 0) & products["listed"].to_numpy()
    return Shop([f"cj:{p}" for p in products["product_id"].tolist()], products["price_minor"].to_numpy(),
                np.asarray(kind), [str(t) for t in type_names], usable, stores, kiosk,
                [carried_product[carried_store == s] for s in range(len(stores))],
                [by_person[o if o >= 0 else i] for i, o in enumerate(pop.original.tolist())],
                _trips(journey, pop, line_person, store_of, period),
                np.argsort(-np.where(usable, units, -1), kind="stable"))


def _trips(journey: Journey, pop: Population, line_person: np.ndarray, store_of: dict[str, int],
           period: Period) -> list[np.ndarray]:
    """Per person, the local start times of their real baskets at their home store, in order."""
    lines = journey.lines
    basket_at = pd.DataFrame({"person": line_person, "store": lines["store_id"].map(lambda s: store_of[f"cj:{s}"]),
                              "basket": lines["basket_id"], "at": local_seconds(lines["at"], period)})
    basket_at = basket_at.groupby("basket").agg(person=("person", "first"), store=("store", "first"), at=("at", "min"))
    at_home = basket_at[basket_at["store"].to_numpy() == pop.home_store[basket_at["person"].to_numpy()]]
    return [at_home["at"][at_home["person"] == i].sort_values().to_numpy() for i in range(len(pop))]


def online_orders(rng: np.random.Generator, pop: Population, s: Shop,
                  period: Period) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Web, app and kiosk orders (and a few returns) with their lines, numbered in time order."""
    orders, lines = [], []
    for person in range(len(pop)):
        group = 3 if pop.original[person] >= 0 else int(pop.profile[person])
        begin, end = max(int(pop.created[person]), 0), int(pop.active_until[person])
        span = max(end - begin, DAY)
        count = rng.poisson(ONLINE_ORDERS[group] * span / period.length)
        for at in np.sort(begin + rng.random(count) * span).tolist():
            app = rng.random() < (0.6 if group == 2 else 0.3)
            collect = pop.home_store[person] >= 0 and rng.random() < 0.4
            basket = _draw_basket(rng, s, s.bought[person], 2 + rng.poisson(5))
            orders.append((person, _daytime(rng, at), "app" if app else "web",
                           int(pop.home_store[person]) if collect else -1, "purchase"))
            lines += [(len(orders) - 1, p, q) for p, q in basket]
        home = int(pop.home_store[person])
        if home >= 0 and s.kiosk[home] and group < 2:
            for at in (begin + rng.random(rng.poisson(1.5 * span / period.length)) * span).tolist():
                basket = _draw_basket(rng, s, np.intersect1d(s.bought[person], s.carries[home]), 1 + rng.poisson(2))
                if basket:
                    orders.append((person, _daytime(rng, at), "kiosk", home, "purchase"))
                    lines += [(len(orders) - 1, p, q) for p, q in basket]
    return _with_returns(rng, pop, pd.DataFrame(orders, columns=["person", "at", "channel", "store", "kind"]),
                         pd.DataFrame(lines, columns=["order", "product", "quantity"]), s, period)


def _draw_basket(rng: np.random.Generator, s: Shop, history: np.ndarray, size: int) -> list[tuple[int, int]]:
    """Distinct usable products, mostly from the history (frequent ones more often), with quantities."""
    pool = history[s.usable[history]] if len(history) else history
    if not len(pool):
        return []
    chosen = np.unique(pool[rng.integers(0, len(pool), size)])
    return [(int(p), 1 + int(rng.poisson(0.3))) for p in chosen.tolist()]


def _daytime(rng: np.random.Generator, at: float) -> int:
    """A local time between 07:00 and 23:00 on the day of `at`."""
    return int(at) // DAY * DAY + int((7 + 16 * rng.beta(2.2, 1.6)) * 3600)


def _with_returns(rng: np.random.Generator, pop: Population, orders: pd.DataFrame, lines: pd.DataFrame, s: Shop,
                  period: Period) -> tuple[pd.DataFrame, pd.DataFrame]:
    """About one online order in 25 is partly sent back (in store when the customer has one) days later."""
    online = orders.index[(orders["channel"] != "kiosk") & (rng.random(len(orders)) < 0.04)]
    back_orders, back_lines = [], []
    for o in online.tolist():
        at = int(orders.at[o, "at"]) + int(rng.integers(2, 12)) * DAY
        if at >= period.length:
            continue
        person, home = int(orders.at[o, "person"]), int(pop.home_store[int(orders.at[o, "person"])])
        back_orders.append((person, at, "pos" if home >= 0 else "web", home, "return"))
        sent = lines[lines["order"] == o].head(1 + int(rng.integers(0, 2)))
        back_lines += [(len(orders) + len(back_orders) - 1, int(p), -int(q))
                       for p, q in zip(sent["product"], sent["quantity"])]
    orders = pd.concat([orders, pd.DataFrame(back_orders, columns=orders.columns)], ignore_index=True)
    lines = pd.concat([lines, pd.DataFrame(back_lines, columns=lines.columns)], ignore_index=True)
    rank = np.argsort(np.argsort(orders["at"].to_numpy(), kind="stable"), kind="stable")
    orders = orders.assign(number=rank + 1).sort_values("number")
    lines = lines.assign(number=rank[lines["order"].to_numpy()] + 1).sort_values(["number"], kind="stable")
    unit = s.price[lines["product"].to_numpy()]
    off = np.where(rng.random(len(lines)) < 0.12, rng.uniform(0.1, 0.3, len(lines)), 0.0)
    discount = np.where(lines["quantity"] > 0, np.round(unit * lines["quantity"].to_numpy() * off), 0).astype(np.int64)
    quantity = lines["quantity"].to_numpy()
    amount = np.sign(quantity) * (unit * np.abs(quantity) - discount)
    return orders, lines.assign(unit=unit, discount=discount, amount=amount)


def order_tables(orders: pd.DataFrame, lines: pd.DataFrame, pop: Population, s: Shop,
                 period: Period) -> dict[str, Table]:
    """The generated orders and lines in canonical form."""
    order_ids = ids("cj:gen-O", orders["number"].to_numpy(), 6)
    return {
        "orders": {"order_id": order_ids, "retailer_id": ["cj"] * len(orders),
                   "customer_id": pick(pop.customer_ids, orders["person"].to_numpy()),
                   "store_id": pick(s.store_ids, orders["store"].to_numpy()), "channel_id": orders["channel"].tolist(),
                   "placed_at": period.iso(orders["at"].to_numpy()), "kind": orders["kind"].tolist(),
                   "status": ["completed"] * len(orders)},
        "order_lines": {"order_id": ids("cj:gen-O", lines["number"].to_numpy(), 6),
                        "line_no": (lines.groupby("number").cumcount() + 1).tolist(),
                        "product_id": pick(s.product_ids, lines["product"].to_numpy()),
                        "quantity": lines["quantity"].tolist(), "unit_price": money(lines["unit"].to_numpy()),
                        "amount": money(lines["amount"].to_numpy()), "discount": money(lines["discount"].to_numpy()),
                        "coupon_discount": [0.0] * len(lines)},
    }


def events(rng: np.random.Generator, pop: Population, s: Shop, orders: pd.DataFrame, lines: pd.DataFrame,
           period: Period) -> Table:
    """Views and carts before online orders, web/app browsing, kiosk visits during store trips, guests."""
    rows = _before_orders(rng, orders, lines) + _browsing(rng, pop, s, period) + _kiosk_visits(rng, pop, s)
    guests = int(GUEST_SHARE * sum(1 for r in rows if r[1] in ("search", "visit")))
    rows += _guests(rng, s, guests, period)
    frame = pd.DataFrame(rows, columns=["person", "kind", "product", "channel", "store", "at", "query"])
    frame = frame[(frame["at"] >= 0) & (frame["at"] < period.length)].sort_values("at", kind="stable")
    return {"event_id": ids("cj:gen-E", np.arange(1, len(frame) + 1), 6),
            "customer_id": pick(pop.customer_ids, frame["person"].to_numpy()), "kind": frame["kind"].tolist(),
            "product_id": pick(s.product_ids, frame["product"].to_numpy()), "channel_id": frame["channel"].tolist(),
            "store_id": pick(s.store_ids, frame["store"].to_numpy()), "occurred_at": period.iso(frame["at"].to_numpy()),
            "query": frame["query"].tolist()}


def _before_orders(rng: np.random.Generator, orders: pd.DataFrame, lines: pd.DataFrame) -> list[tuple]:
    """A view (60%) and a cart (50%) of each line of a web, app or kiosk purchase, minutes before it."""
    placed = orders.set_index("number")
    rows = []
    for number, product, quantity in zip(*(lines[c].tolist() for c in ("number", "product", "quantity"))):
        o = placed.loc[number]
        if quantity <= 0 or o["channel"] == "pos":
            continue
        who, channel, store, at = o["person"], o["channel"], o["store"], o["at"]
        if rng.random() < 0.6:
            rows.append((who, "view", product, channel, store, at - int(rng.integers(300, 2700)), ""))
        if rng.random() < 0.5:
            rows.append((who, "cart", product, channel, store, at - int(rng.integers(30, 300)), ""))
    return rows


def _browsing(rng: np.random.Generator, pop: Population, s: Shop, period: Period) -> list[tuple]:
    """Web and app sessions: a search (40%), views of products like those the customer buys, some carts."""
    rows: list[tuple] = []
    for person in range(len(pop)):
        group = 3 if pop.original[person] >= 0 else int(pop.profile[person])
        begin, end = max(int(pop.created[person]), 0), int(pop.active_until[person])
        count = rng.poisson(SESSIONS_PER_WEEK[group] * max(end - begin, 0) / (7 * DAY))
        for at in (begin + rng.random(count) * max(end - begin, 1)).tolist():
            channel = "app" if rng.random() < (0.6 if group == 2 else 0.3) else "web"
            rows += _session(rng, s, person, channel, -1, _daytime(rng, at), s.bought[person], None)
    return rows


def _kiosk_visits(rng: np.random.Generator, pop: Population, s: Shop) -> list[tuple]:
    """At the home store's kiosk during some real trips: a visit, then views of what the store carries."""
    rows: list[tuple] = []
    for person in range(len(pop)):
        home = int(pop.home_store[person])
        if home < 0 or not s.kiosk[home] or pop.profile[person] == 2:
            continue
        for at in s.trips[person][rng.random(len(s.trips[person])) < KIOSK_VISIT_SHARE].tolist():
            start = int(at) - int(rng.integers(600, 1800))
            rows.append((person, "visit", -1, "kiosk", home, start, ""))
            rows += _session(rng, s, person, "kiosk", home, start + 20, s.bought[person], s.carries[home])
    return rows


def _guests(rng: np.random.Generator, s: Shop, count: int, period: Period) -> list[tuple]:
    """Anonymous sessions on the web and at kiosks, viewing popular products."""
    rows: list[tuple] = []
    kiosks = np.flatnonzero(s.kiosk)
    top = s.popular[:400]
    for at in (rng.random(count) * period.length).tolist():
        store = int(kiosks[rng.integers(0, len(kiosks))]) if len(kiosks) and rng.random() < 0.4 else -1
        channel = "kiosk" if store >= 0 else "web"
        rows += _session(rng, s, -1, channel, store, _daytime(rng, at), top, s.carries[store] if store >= 0 else None)
    return rows


def _session(rng: np.random.Generator, s: Shop, person: int, channel: str, store: int, at: int,
             history: np.ndarray, shelf: np.ndarray | None) -> list[tuple]:
    """One session's events: views of products near `history` (on `shelf` when given), carts, wishlists."""
    views = _near(rng, s, history, 1 + rng.poisson(1.5 if channel == "kiosk" else 2.5), shelf)
    rows: list[tuple] = []
    if len(views) and rng.random() < 0.4:
        rows.append((person, "search", -1, channel, store, at - 15, s.type_names[s.kind[views[0]]].lower()))
    for step, product in enumerate(views.tolist()):
        when = at + step * int(rng.integers(20, 150))
        rows.append((person, "view", product, channel, store, when, ""))
        extra = rng.random()
        if extra < 0.11 and person >= 0:
            rows.append((person, "cart" if extra < 0.08 else "wishlist", product, channel, store,
                         when + int(rng.integers(5, 120)), ""))
    return rows


def _near(rng: np.random.Generator, s: Shop, history: np.ndarray, count: int, shelf: np.ndarray | None) -> np.ndarray:
    """Products of the same type as random products of `history` (40% the product itself), usable only."""
    candidates = np.flatnonzero(s.usable) if shelf is None else shelf[s.usable[shelf]]
    if not len(history) or not len(candidates):
        return np.zeros(0, dtype=np.int64)
    picked = []
    for seed in history[rng.integers(0, len(history), count)].tolist():
        same = candidates[s.kind[candidates] == s.kind[seed]]
        if rng.random() < 0.4 and s.usable[seed] and (shelf is None or seed in same):
            picked.append(seed)
        elif len(same):
            picked.append(int(same[rng.integers(0, len(same))]))
    return np.array(picked, dtype=np.int64)


def service_cases(rng: np.random.Generator, pop: Population, orders: pd.DataFrame, journey_orders: Table,
                  period: Period) -> dict[str, Table]:
    """Cases about online orders (8%), store baskets (0.3%) and accounts (8% of people), with notes."""
    subjects = list(SUBJECTS)
    person_of = {c: i for i, c in enumerate(pop.customer_ids)}
    online = orders[orders["channel"].isin(("web", "app")) & (orders["kind"] == "purchase")
                    & (rng.random(len(orders)) < 0.08)]
    cases = [(int(p), int(at), f"cj:gen-O{n:06d}", int(rng.integers(0, 4))) for p, at, n in
             zip(online["person"], online["at"], online["number"])]
    placed = pd.to_datetime(pd.Series(journey_orders["placed_at"]))
    store_at = local_seconds(placed, period)
    for i in np.flatnonzero(rng.random(len(store_at)) < 0.003).tolist():
        cases.append((person_of[journey_orders["customer_id"][i]], int(store_at[i]), journey_orders["order_id"][i],
                      int(rng.choice((2, 3)))))
    for person in np.flatnonzero(rng.random(len(pop)) < 0.08).tolist():
        begin, end = max(int(pop.created[person]), 0), int(pop.active_until[person])
        cases.append((person, begin + int(rng.random() * max(end - begin, DAY)) - DAY, "",
                      int(rng.integers(4, len(subjects)))))
    frame = pd.DataFrame(cases, columns=["person", "at", "order", "subject"])
    frame["at"] = frame["at"] + rng.integers(DAY, 6 * DAY, len(frame))
    frame = frame[frame["at"] < period.length - 3600].sort_values("at", kind="stable")
    return _case_tables(rng, pop, frame, subjects, period)


def _case_tables(rng: np.random.Generator, pop: Population, frame: pd.DataFrame, subjects: list[str],
                 period: Period) -> dict[str, Table]:
    n = len(frame)
    opened = frame["at"].to_numpy()
    recent = opened > period.length - 14 * DAY
    status = np.where(recent, rng.choice(3, n, p=(0.5, 0.3, 0.2)), rng.choice(3, n, p=(0.02, 0.06, 0.92)))
    case_ids = ids("cj:gen-SC", np.arange(1, n + 1), 4)
    subject = frame["subject"].to_numpy()
    notes = case_notes(rng, case_ids, opened, status, [SUBJECTS[subjects[k]] for k in subject.tolist()],
                       ("Megan", "Tyler", "Alicia", "Marcus", "Hannah"), "cj:gen-SN", 5, period)
    return {
        "service_cases": {"case_id": case_ids, "customer_id": pick(pop.customer_ids, frame["person"].to_numpy()),
                          "opened_at": period.iso(opened),
                          "channel_id": pick(("service_desk", "web", "app"), rng.choice(3, n, p=(0.6, 0.3, 0.1))),
                          "subject": pick(subjects, subject), "status": pick(STATUSES, status),
                          "order_id": frame["order"].tolist()},
        "service_notes": notes,
    }
