"""Web, app and kiosk events; campaigns, coupons and redemptions; service cases with notes."""

from __future__ import annotations

import numpy as np

from loaders.synthetic.catalogue import RETAILER, Catalogue, types
from loaders.synthetic.clock import DAY, Period
from loaders.synthetic.files import Table, ids, pick
from loaders.synthetic.orders import CHANNELS, Baskets
from loaders.synthetic.people import Population

EVENT_KINDS = ("view", "cart", "wishlist", "search")
CAMPAIGNS = ("New year deals", "Winter warmers", "Spring clean", "Easter table", "Garden season",
             "Summer barbecue", "Holiday essentials", "Back to school", "Autumn pantry", "Halloween",
             "Black Friday", "Christmas")
CAMPAIGN_TYPES = ("email", "mailer", "app_push", "in_store")
SUBJECTS = {"late delivery": "My order has not arrived yet.", "missing item": "An item was missing from my order.",
            "damaged item": "The product was damaged.", "refund request": "I would like a refund for this order.",
            "loyalty points missing": "My points for a recent purchase are not on my card.",
            "account access": "I cannot log in to my account.", "change of address": "Please update my address.",
            "privacy request": "Please send me the data you hold about me.",
            "product question": "Is this product available in a larger size?"}
REPLIES = ("Thank you, we are looking into it.", "We have asked the store to check.",
           "A refund has been issued.", "Points have been added to the card.")
CLOSING = "Resolved; case closed."
STATUSES = ("open", "pending", "closed")


def events(rng: np.random.Generator, pop: Population, cat: Catalogue, b: Baskets, period: Period) -> Table:
    """Views and carts before web, app and kiosk orders; browsing sessions; anonymous visits."""
    parts = [_before_orders(rng, b), _sessions(rng, pop, cat, b, period)]
    customer, kind, product, channel, store, time, query = (np.concatenate(c) for c in zip(*parts))
    order = np.argsort(time, kind="stable")
    customer, kind, product, channel, store, time, query = (
        a[order] for a in (customer, kind, product, channel, store, time, query))
    words = [t[2].lower() for t in types()] + cat.brand_names
    return {"event_id": ids(f"{RETAILER}:E", np.arange(1, len(time) + 1), 9),
            "customer_id": pick(pop.customer_ids, customer), "kind": pick(EVENT_KINDS, kind),
            "product_id": pick(cat.product_ids, product), "channel_id": pick(CHANNELS, channel),
            "store_id": pick(cat.store_ids, store), "occurred_at": period.iso(time), "query": pick(words, query)}


def _before_orders(rng: np.random.Generator, b: Baskets) -> tuple[np.ndarray, ...]:
    online = np.flatnonzero(~b.is_return[b.line_order] & (b.channel[b.line_order] != 0))
    viewed = online[rng.random(len(online)) < 0.6]
    carted = online[rng.random(len(online)) < 0.5]
    lines = np.concatenate([viewed, carted])
    kind = np.repeat([0, 1], [len(viewed), len(carted)])
    lead = np.where(kind == 0, rng.integers(180, 2700, len(lines)), rng.integers(30, 600, len(lines)))
    o = b.line_order[lines]
    return (b.customer[o], kind, b.product[lines], b.channel[o], b.store[o], b.time[o] - lead,
            np.full(len(lines), -1))


def _sessions(rng: np.random.Generator, pop: Population, cat: Catalogue, b: Baskets,
              period: Period) -> tuple[np.ndarray, ...]:
    """Browsing on the web and the app, at kiosks in stores that have them, and by guests."""
    start = np.maximum(pop.created, 0)
    weeks = np.maximum(pop.active_until - start, 0) / (7 * DAY)
    has_kiosk = (pop.home_store >= 0) & np.array([True, True, False])[cat.store_format[np.maximum(pop.home_store, 0)]]
    online = rng.poisson(np.where(pop.profile > 0, 0.08 + pop.rate, 0) * weeks)
    kiosk = rng.poisson(np.where(has_kiosk & (pop.profile < 2), 0.04, 0) * weeks)
    customer = np.concatenate([np.repeat(np.arange(len(pop)), online), np.repeat(np.arange(len(pop)), kiosk)])
    at_kiosk = np.repeat([False, True], [online.sum(), kiosk.sum()])
    guests = int(len(customer) * 0.15)
    customer = np.concatenate([customer, np.full(guests, -1)])
    at_kiosk = np.concatenate([at_kiosk, np.zeros(guests, dtype=bool)])
    begin = np.where(customer >= 0, start[customer], 0)
    end = np.where(customer >= 0, pop.active_until[customer], period.length)
    day = (begin + rng.random(len(customer)) * (end - begin)).astype(np.int64) // DAY * DAY
    hour = np.where(at_kiosk, 9 + 11 * rng.random(len(customer)), 7 + 16.5 * rng.beta(2.5, 1.6, len(customer)))
    session_time = day + (hour * 3600).astype(np.int64)
    session_channel = np.where(at_kiosk, 2, np.where(rng.random(len(customer)) < 0.6, 1, 3))
    session_store = np.where(at_kiosk, pop.home_store[np.maximum(customer, 0)], -1)
    return _session_events(rng, cat, b, customer, session_time, session_channel, session_store)


def _session_events(rng: np.random.Generator, cat: Catalogue, b: Baskets, customer: np.ndarray,
                    time: np.ndarray, channel: np.ndarray, store: np.ndarray) -> tuple[np.ndarray, ...]:
    """Views of products near what the customer buys (or popular ones), some carted or wished for."""
    views = 1 + rng.poisson(np.where(channel == 2, 1.5, 2.5))
    session = np.repeat(np.arange(len(customer)), views)
    step = np.arange(len(session)) - np.repeat(np.cumsum(views) - views, views)
    who = customer[session]
    bought = _bought_by(rng, b, who)
    near = (bought >= 0) & (rng.random(len(session)) < 0.6)
    carried = np.where(store[session] >= 0, cat.store_carries[np.maximum(store[session], 0)], len(cat.cdf))
    product = np.where(near, cat.neighbour(rng, np.maximum(bought, 0)), cat.draw(rng, carried))
    product = np.where(product < carried, product, cat.draw(rng, carried))
    view_time = time[session] + step * rng.integers(20, 150, len(session))
    extra = rng.random(len(session))
    kind = np.where(extra < 0.08, 1, np.where(extra < 0.11, 2, -1))
    searched = np.flatnonzero(rng.random(len(customer)) < 0.4)
    first_view = np.cumsum(views) - views
    word = np.where(rng.random(len(searched)) < 0.7, cat.product_type[product[first_view[searched]]],
                    len(types()) + cat.product_brand[product[first_view[searched]]])
    follow = np.flatnonzero(kind >= 0)
    n_view, n_follow, n_search = len(session), len(follow), len(searched)
    return (np.concatenate([who, who[follow], customer[searched]]),
            np.concatenate([np.zeros(n_view, dtype=int), kind[follow], np.full(n_search, 3)]),
            np.concatenate([product, product[follow], np.full(n_search, -1)]),
            np.concatenate([channel[session], channel[session][follow], channel[searched]]),
            np.concatenate([store[session], store[session][follow], store[searched]]),
            np.concatenate([view_time, view_time[follow] + rng.integers(5, 300, n_follow), time[searched] - 15]),
            np.concatenate([np.full(n_view + n_follow, -1), word]))


def _bought_by(rng: np.random.Generator, b: Baskets, who: np.ndarray) -> np.ndarray:
    """A random product each customer bought (-1 for guests and customers without purchases)."""
    line_customer = b.customer[b.line_order]
    by_customer = np.argsort(line_customer, kind="stable")
    first = np.searchsorted(line_customer[by_customer], who)
    count = np.searchsorted(line_customer[by_customer], who, side="right") - first
    pick_at = np.minimum(first + (rng.random(len(who)) * count).astype(np.int64), max(len(by_customer) - 1, 0))
    return np.where((who >= 0) & (count > 0), b.product[by_customer[pick_at]], -1)


def campaigns(rng: np.random.Generator, pop: Population, cat: Catalogue, b: Baskets, period: Period,
              may_market: np.ndarray) -> dict[str, Table]:
    """Monthly campaigns to consenting customers, with coupons; redeemed coupons lower line amounts."""
    n_campaigns = min(len(CAMPAIGNS), max(1, period.days // 30))
    line_time, line_customer = b.time[b.line_order], b.customer[b.line_order]
    recipients: list[tuple[int, int]] = []
    coupons: list[tuple[str, int, int]] = []
    redeemed: list[tuple[int, str, int, int]] = []
    windows = []
    for c in range(n_campaigns):
        begin = (c * period.days // n_campaigns + int(rng.integers(0, 10))) * DAY
        end = min(begin + int(rng.integers(14, 36)) * DAY, period.length - DAY)
        windows.append((begin, end))
        receives = may_market & (pop.created < end) & (pop.active_until > begin) & (rng.random(len(pop)) < 0.35)
        recipients += [(c, i) for i in np.flatnonzero(receives).tolist()]
        on_coupon = np.unique(cat.draw(rng, np.full(int(rng.integers(15, 40)), len(cat.cdf))))
        coupon_of = {p: f"{RETAILER}:K{c + 1:02d}{k + 1:03d}" for k, p in enumerate(on_coupon.tolist())}
        coupons += [(cid, c, p) for p, cid in coupon_of.items()]
        redeem = np.flatnonzero(receives[line_customer] & np.isin(b.product, on_coupon) & (line_time >= begin)
                                & (line_time <= end) & ~b.is_return[b.line_order] & (b.coupon_minor == 0)
                                & (rng.random(len(line_time)) < 0.6))
        net = b.quantity[redeem] * b.unit_minor[redeem] - b.discount_minor[redeem]
        b.coupon_minor[redeem] = np.minimum(np.round(0.2 * net), net).astype(np.int64)
        redeemed += [(line_customer[i], coupon_of[p], c, line_time[i])
                     for i, p in zip(redeem.tolist(), b.product[redeem].tolist())]
    return _campaign_tables(rng, pop, cat, period, windows, recipients, coupons, redeemed)


def _campaign_tables(rng: np.random.Generator, pop: Population, cat: Catalogue, period: Period,
                     windows: list[tuple[int, int]], recipients: list[tuple[int, int]],
                     coupons: list[tuple[str, int, int]], redeemed: list[tuple[int, str, int, int]]) -> dict[str, Table]:
    n = len(windows)
    campaign_ids = [f"{RETAILER}:M{c + 1:02d}" for c in range(n)]
    begin, end = np.array([w[0] for w in windows]), np.array([w[1] for w in windows])
    return {
        "campaigns": {"campaign_id": campaign_ids, "retailer_id": [RETAILER] * n, "name": list(CAMPAIGNS[:n]),
                      "type": pick(CAMPAIGN_TYPES, rng.integers(0, len(CAMPAIGN_TYPES), n)),
                      "start_date": period.dates(begin), "end_date": period.dates(end)},
        "campaign_recipients": {"campaign_id": [campaign_ids[c] for c, _ in recipients],
                                "customer_id": [pop.customer_ids[i] for _, i in recipients]},
        "coupons": {"coupon_id": [r[0] for r in coupons], "campaign_id": [campaign_ids[r[1]] for r in coupons],
                    "product_id": [cat.product_ids[r[2]] for r in coupons]},
        "coupon_redemptions": {"customer_id": [pop.customer_ids[r[0]] for r in redeemed],
                               "coupon_id": [r[1] for r in redeemed],
                               "campaign_id": [campaign_ids[r[2]] for r in redeemed],
                               "redeemed_on": period.dates(np.array([r[3] for r in redeemed], dtype=np.int64))},
    }


def service_cases(rng: np.random.Generator, pop: Population, b: Baskets, period: Period) -> dict[str, Table]:
    """Cases about orders (deliveries, damage, refunds) and about accounts, each with a few notes."""
    subjects = list(SUBJECTS)
    purchases = np.flatnonzero(~b.is_return)
    about = purchases[rng.random(len(purchases)) < np.where(b.channel[purchases] == 0, 0.002, 0.006)]
    other = np.flatnonzero(rng.random(len(pop)) < 0.015)
    customer = np.concatenate([b.customer[about], other])
    order = np.concatenate([about, np.full(len(other), -1)])
    span = np.maximum(pop.active_until[other] - np.maximum(pop.created[other], 0), DAY)
    opened = np.concatenate([b.time[about] + rng.integers(DAY, 10 * DAY, len(about)),
                             np.maximum(pop.created[other], 0) + (rng.random(len(other)) * span).astype(np.int64)])
    subject = np.concatenate([np.where(b.channel[about] == 0, rng.choice((2, 3), len(about)), rng.integers(0, 4, len(about))),
                              rng.integers(4, len(subjects), len(other))])
    keep = opened < period.length - 3600
    customer, order, opened, subject = customer[keep], order[keep], opened[keep], subject[keep]
    recent = opened > period.length - 14 * DAY
    status = np.where(recent, rng.choice(3, len(opened), p=(0.5, 0.3, 0.2)), rng.choice(3, len(opened), p=(0.02, 0.06, 0.92)))
    case_ids = ids(f"{RETAILER}:SC", np.arange(1, len(opened) + 1), 6)
    notes = case_notes(rng, case_ids, opened, status, [SUBJECTS[subjects[k]] for k in subject.tolist()],
                       ("Sanne", "Koen", "Ilse", "Bram", "Noor"), f"{RETAILER}:SN", 7, period)
    return {
        "service_cases": {"case_id": case_ids, "customer_id": pick(pop.customer_ids, customer), "opened_at": period.iso(opened),
                          "channel_id": pick(("service_desk", "web", "app"), rng.choice(3, len(opened), p=(0.6, 0.3, 0.1))),
                          "subject": pick(subjects, subject), "status": pick(STATUSES, status),
                          "order_id": ids(f"{RETAILER}:O", np.where(order >= 0, order + 1, -1), 8)},
        "service_notes": notes,
    }


def case_notes(rng: np.random.Generator, case_ids: list[str], opened: np.ndarray, status: np.ndarray,
               first_texts: list[str], agents: tuple[str, ...], note_prefix: str, id_width: int,
               period: Period) -> Table:
    """Each case's notes: the customer's message, then agents' replies, in time order; a closed case's
    last note closes it and an open or pending one's never does."""
    notes = 1 + rng.integers(1, 4, len(opened))
    case = np.repeat(np.arange(len(opened)), notes)
    first = np.repeat(np.cumsum(notes) - notes, notes)
    step = np.arange(len(case)) - first
    waited = np.cumsum(np.where(step > 0, rng.integers(3600, 2 * DAY, len(case)), 0))
    at = np.minimum(opened[case] + waited - waited[first], period.length - 60)
    agent = [f"agent:{a}" for a in rng.choice(agents, len(case)).tolist()]
    replies = rng.integers(0, len(REPLIES), len(case)).tolist()
    closes = (step == notes[case] - 1) & (status[case] == STATUSES.index("closed"))
    return {"note_id": ids(note_prefix, np.arange(1, len(case) + 1), id_width), "case_id": pick(case_ids, case),
            "at": period.iso(at), "author": ["customer" if k == 0 else a for k, a in zip(step.tolist(), agent)],
            "text": [first_texts[c] if k == 0 else CLOSING if shut else REPLIES[r]
                     for c, k, r, shut in zip(case.tolist(), step.tolist(), replies, closes.tolist())]}
