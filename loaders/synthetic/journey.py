"""The real part of the demo: a fixed choice of complete_journey households with every row about them.

Ids are those of `c360 load complete-journey` (cj:<id>, categories cj:d:/cj:c:/cj:t:<path>, brands
cj:national|cj:private), so the demo's real rows are a subset of what the adapter loads from the full set.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from loaders.journey_rows import RETAILER, categories_of
from loaders.synthetic.files import Table

FILES = ("transactions", "products", "demographics", "campaigns", "campaign_descriptions", "coupons",
         "coupon_redemptions", "promotions_sample")
LINE_CAP = 750            # households with more lines than this are left out (keeps demo/data small)
MIN_BASKETS = 12          # and so are those with fewer baskets (nothing to recommend from)
DORMANT_SHARE = 0.08      # of the households: ones that stopped shopping, with or without demographics
DORMANT_DAYS = 90
PROMOTION_WEEKS = 4       # promotions of the last weeks only
COUPON_PRODUCTS = 10      # products kept per coupon: those the demo's households bought most
DURABLE_DEPARTMENTS = frozenset({"FLORAL", "GARDEN CENTER", "TRAVEL & LEISURE", "PHOTO & VIDEO", "TOYS",
                                 "POSTAL CENTER", "CHARITABLE CONT", "AUTOMOTIVE", "ELECT &PLUMBING",
                                 "GM MERCH EXP", "HOUSEWARES", "COUPON", "MISCELLANEOUS", "CNTRL/STORE SUP",
                                 "PROD-WHS SALES"})


@dataclass(frozen=True)
class Journey:
    """The chosen households' rows: `lines` (one per transaction line, `at` in UTC) and canonical tables."""

    households: pd.DataFrame  # household_id and the demographics columns (empty where unpublished), sorted by id
    lines: pd.DataFrame
    products: pd.DataFrame    # product_id, department, product_category, product_type, brand, price_minor
    store_sales: pd.Series    # baskets per store in the full data (for the generated store formats)
    tables: dict[str, Table]


def read_source(folder: Path) -> dict[str, pd.DataFrame]:
    """Every complete_journey file as a data frame (ids as integers, text as text)."""
    missing = [f for f in FILES if not (folder / f"{f}.csv.gz").is_file()]
    if missing:
        raise FileNotFoundError(f"{folder}: missing {', '.join(f'{m}.csv.gz' for m in missing)}")
    return {name: pd.read_csv(folder / f"{name}.csv.gz", dtype={"package_size": str, "mailer_location": str,
                                                                "display_location": str})
            for name in FILES}


def choose_households(source: dict[str, pd.DataFrame], count: int) -> np.ndarray:
    """`count` households spread evenly over activity (by lines), smallest id first.

    Most have demographics; DORMANT_SHARE of them are households that stopped shopping (no basket in the
    last DORMANT_DAYS days), which the households with demographics almost never do.
    """
    tx = source["transactions"]
    per = tx.groupby("household_id").agg(lines=("product_id", "size"), baskets=("basket_id", "nunique"),
                                         last=("transaction_timestamp", "max"))
    per = per[(per["lines"] <= LINE_CAP) & (per["baskets"] >= MIN_BASKETS)]
    quiet = pd.Timestamp(per["last"].max()) - pd.Timedelta(days=DORMANT_DAYS)
    dormant = per[pd.to_datetime(per["last"]) < quiet]
    with_demographics = per[per.index.isin(source["demographics"]["household_id"]) & ~per.index.isin(dormant.index)]
    n_dormant = min(len(dormant), round(count * DORMANT_SHARE))
    return np.sort(np.concatenate([_spread(dormant, n_dormant), _spread(with_demographics, count - n_dormant)]))


def _spread(households: pd.DataFrame, count: int) -> np.ndarray:
    """`count` of the households, evenly spaced in the order of their lines and baskets."""
    ranked = households.sort_values(["lines", "baskets"]).index.to_numpy()
    if count >= len(ranked):
        return ranked
    return ranked[np.linspace(0, len(ranked) - 1, count).round().astype(np.int64)]


def build_journey(source: dict[str, pd.DataFrame], households: np.ndarray) -> Journey:
    """Every row of complete_journey about `households`, in the canonical format."""
    tx = source["transactions"]
    lines = tx[tx["household_id"].isin(households)].copy()
    lines["at"] = pd.to_datetime(lines["transaction_timestamp"]).dt.tz_localize("UTC")
    products = _products(source, set(lines["product_id"]))
    demographics = source["demographics"]
    tables: dict[str, Table] = {"retailers": {k: [v] for k, v in RETAILER.items()}}
    tables.update(_catalogue(products))
    tables.update(_orders(lines))
    tables.update(_campaigns(source, households, lines["product_id"].value_counts()))
    tables["promotions"] = _promotions(source["promotions_sample"], set(lines["store_id"]), set(products["product_id"]))
    tables["store_products"] = _assortment(lines)
    chosen = pd.DataFrame({"household_id": np.sort(households)}).merge(demographics, how="left", on="household_id")
    return Journey(chosen,
                   lines, products, tx.groupby("store_id")["basket_id"].nunique(), tables)


def cj_ids(values: pd.Series | np.ndarray) -> list[str]:
    """`cj:<id>` for each source id."""
    return [f"cj:{v}" for v in np.asarray(values).tolist()]


def _products(source: dict[str, pd.DataFrame], bought: set[int]) -> pd.DataFrame:
    """The products bought, with the median shelf price per unit over the whole data set."""
    tx = source["transactions"]
    sold = tx[(tx["quantity"] > 0) & (tx["sales_value"] > 0) & tx["product_id"].isin(bought)]
    shelf = (sold["sales_value"] + sold["retail_disc"] + sold["coupon_match_disc"]) / sold["quantity"]
    price = (shelf.groupby(sold["product_id"]).median() * 100).round().astype("int64")
    listed = source["products"].set_index("product_id")
    frame = pd.DataFrame(index=pd.Index(sorted(bought), name="product_id"))
    frame = frame.join(listed[["department", "product_category", "product_type", "brand", "package_size"]])
    frame["price_minor"] = price.reindex(frame.index).fillna(-1).astype("int64")
    frame["listed"] = frame.index.isin(listed.index)
    return frame.reset_index()


def _catalogue(products: pd.DataFrame) -> dict[str, Table]:
    """categories, brands and products as the complete-journey adapter names them."""
    categories: dict[str, dict[str, str | None]] = {}
    category_of, names = [], []
    for row in products[["department", "product_category", "product_type"]].fillna("").to_dict("records"):
        levels = categories_of(row)
        categories.update((c["category_id"], c) for c in levels)
        category_of.append(levels[-1]["category_id"] if levels else "")
        names.append(levels[-1]["name"] if levels else "")
    brand = products["brand"].fillna("")
    ordered = sorted(categories.values(), key=lambda c: c["category_id"] or "")
    consumable = ~products["department"].isin(DURABLE_DEPARTMENTS) & products["listed"]
    return {
        "categories": {"category_id": [c["category_id"] for c in ordered], "name": [c["name"] for c in ordered],
                       "level": [c["level"] for c in ordered], "parent_id": [c["parent_id"] or "" for c in ordered]},
        "brands": {"brand_id": ["cj:national", "cj:private"], "name": ["National", "Private"]},
        "products": {"product_id": cj_ids(products["product_id"]), "retailer_id": ["cj"] * len(products),
                     "name": names, "category_id": category_of,
                     "brand_id": [f"cj:{b.lower()}" if b else "" for b in brand.tolist()],
                     "price": [p / 100 if p >= 0 else "" for p in products["price_minor"].tolist()],
                     "is_consumable": np.where(consumable, "true", np.where(products["listed"], "false", "")),
                     "package_size": products["package_size"].fillna("").tolist()},
    }


def _orders(lines: pd.DataFrame) -> dict[str, Table]:
    """One pos order per basket, placed at its earliest line; its lines in file order (no unit price is published)."""
    baskets = lines.groupby("basket_id", sort=False).agg(household_id=("household_id", "first"),
                                                         store_id=("store_id", "first"), at=("at", "min"))
    baskets = baskets.sort_values(["at"], kind="stable")
    n = len(baskets)
    q = lines["quantity"]
    return {
        "orders": {"order_id": cj_ids(baskets.index), "retailer_id": ["cj"] * n,
                   "customer_id": cj_ids(baskets["household_id"]), "store_id": cj_ids(baskets["store_id"]),
                   "channel_id": ["pos"] * n, "placed_at": _iso(baskets["at"]), "kind": ["purchase"] * n,
                   "status": ["completed"] * n},
        "order_lines": {"order_id": cj_ids(lines["basket_id"]),
                        "line_no": (lines.groupby("basket_id").cumcount() + 1).tolist(),
                        "product_id": cj_ids(lines["product_id"]), "quantity": q.tolist(),
                        "unit_price": [""] * len(lines),
                        "amount": lines["sales_value"].round(2).tolist(),
                        "discount": lines["retail_disc"].abs().round(2).tolist(),
                        "coupon_discount": (lines["coupon_disc"].abs() + lines["coupon_match_disc"].abs())
                        .round(2).tolist()},
    }


def _campaigns(source: dict[str, pd.DataFrame], households: np.ndarray, bought: pd.Series) -> dict[str, Table]:
    """All campaigns; the chosen households' receipts and redemptions; coupons on the demo's products."""
    described = source["campaign_descriptions"].sort_values("campaign_id")
    received = source["campaigns"][source["campaigns"]["household_id"].isin(households)]
    received = received.sort_values(["campaign_id", "household_id"])
    redeemed = source["coupon_redemptions"][source["coupon_redemptions"]["household_id"].isin(households)]
    redeemed = redeemed.sort_values(["redemption_date", "household_id", "coupon_upc"])
    coupons = source["coupons"]
    coupons = coupons[coupons["campaign_id"].isin(received["campaign_id"]) & coupons["product_id"].isin(bought.index)]
    coupons = coupons[["coupon_upc", "campaign_id", "product_id"]].drop_duplicates()
    coupons = coupons.assign(lines=-bought.reindex(coupons["product_id"]).to_numpy())
    coupons = coupons.sort_values(["coupon_upc", "campaign_id", "lines", "product_id"])
    coupons = coupons.groupby(["coupon_upc", "campaign_id"]).head(COUPON_PRODUCTS).drop(columns="lines")
    covered = set(zip(coupons["coupon_upc"], coupons["campaign_id"]))
    bare = redeemed[["coupon_upc", "campaign_id"]].drop_duplicates()
    bare = bare[[(c, k) not in covered for c, k in zip(bare["coupon_upc"], bare["campaign_id"])]]
    coupons = pd.concat([coupons, bare.assign(product_id=-1)]).sort_values(["campaign_id", "coupon_upc", "product_id"])
    return {
        "campaigns": {"campaign_id": cj_ids(described["campaign_id"]), "retailer_id": ["cj"] * len(described),
                      "name": [f"Campaign {c}" for c in described["campaign_id"].tolist()],
                      "type": described["campaign_type"].str.removeprefix("Type ").str.strip().tolist(),
                      "start_date": described["start_date"].tolist(), "end_date": described["end_date"].tolist()},
        "campaign_recipients": {"campaign_id": cj_ids(received["campaign_id"]),
                                "customer_id": cj_ids(received["household_id"])},
        "coupons": {"coupon_id": cj_ids(coupons["coupon_upc"]), "campaign_id": cj_ids(coupons["campaign_id"]),
                    "product_id": [f"cj:{p}" if p >= 0 else "" for p in coupons["product_id"].tolist()]},
        "coupon_redemptions": {"customer_id": cj_ids(redeemed["household_id"]),
                               "coupon_id": cj_ids(redeemed["coupon_upc"]),
                               "campaign_id": cj_ids(redeemed["campaign_id"]),
                               "redeemed_on": redeemed["redemption_date"].tolist()},
    }


def _promotions(promotions: pd.DataFrame, stores: set[int], products: set[int]) -> Table:
    """In-store displays and mailers of the last weeks at the demo's stores ('0' = none, left empty)."""
    last = promotions["week"].max() - PROMOTION_WEEKS
    kept = promotions[(promotions["week"] > last) & promotions["store_id"].isin(stores)
                      & promotions["product_id"].isin(products)].sort_values(["week", "store_id", "product_id"])
    return {"store_id": cj_ids(kept["store_id"]), "product_id": cj_ids(kept["product_id"]),
            "week": kept["week"].tolist(),
            "display": kept["display_location"].replace("0", "").tolist(),
            "mailer": kept["mailer_location"].replace("0", "").tolist()}


def _assortment(lines: pd.DataFrame) -> Table:
    """What each store carries, derived (as the adapter does) from what it sold in these baskets."""
    pairs = lines[["store_id", "product_id"]].drop_duplicates().sort_values(["store_id", "product_id"])
    return {"store_id": cj_ids(pairs["store_id"]), "product_id": cj_ids(pairs["product_id"]),
            "stock": [""] * len(pairs), "source": ["derived_from_sales"] * len(pairs)}


def _iso(times: pd.Series) -> list[str]:
    """UTC times as ISO 8601 with an explicit +00:00."""
    return times.dt.strftime("%Y-%m-%dT%H:%M:%S+00:00").tolist()  # type: ignore[no-any-return]
