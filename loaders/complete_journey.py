"""`c360 load complete-journey PATH`: 84.51° The Complete Journey as retailer "cj" (in-store, channel pos).

Mapping (every decision is in the README's Loaders section):
  demographics      -> Customer "cj:<household_id>" with its bands, plus Identity member_no <household_id>
  products          -> Product "cj:<product_id>", Category department > category > type, Brand National|Private
  transactions      -> Order "cj:<basket_id>" via pos at Store "cj:<store_id>", one CONTAINS per line;
                       households and stores first seen here are created; so are products missing from
                       the catalogue (in_catalogue false); Store-[:CARRIES {source:'derived_from_sales'}]
  campaign_descriptions, campaigns, coupons, coupon_redemptions, promotions_sample -> campaigns & co.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

from graph import campaigns, customers, retailers, stores
from graph.driver import Graph
from loaders.context import Context
from loaders.journey_baskets import BasketStream, Catalogue
from loaders.journey_rows import (PRODUCT_COLUMNS, RETAILER, campaign_of, coupon_of, customer_of, member_no_of,
                                  promotion_of, recipient_of, redemption_of)
from loaders.report import LoadSummary
from loaders.rows import required_file
from loaders.session import FileSpec, LoadSession

FILES: tuple[FileSpec, ...] = (
    FileSpec("campaign_descriptions", ("campaign_id", "campaign_type", "start_date", "end_date"), campaign_of,
             campaigns.upsert_campaigns),
    FileSpec("campaigns", ("campaign_id", "household_id"), recipient_of, campaigns.upsert_campaign_recipients,
             ("campaign_id", "household_id")),
    FileSpec("coupons", ("coupon_upc", "product_id", "campaign_id"), coupon_of, campaigns.upsert_coupons,
             ("campaign_id", "product_id"), batch_size=10_000),
    FileSpec("coupon_redemptions", ("household_id", "coupon_upc", "campaign_id", "redemption_date"),
             redemption_of, campaigns.upsert_redemptions, ("household_id", "coupon_upc")),
    FileSpec("promotions_sample", ("product_id", "store_id", "display_location", "mailer_location", "week"),
             promotion_of, stores.upsert_promotions, ("store_id", "product_id"), batch_size=10_000),
)
DEMOGRAPHICS = ("household_id", "age", "income", "home_ownership", "marital_status", "household_size",
                "household_comp", "kids_count")
TRANSACTIONS = ("household_id", "store_id", "basket_id", "product_id", "quantity", "sales_value", "retail_disc",
                "coupon_disc", "coupon_match_disc", "week", "transaction_timestamp")


def load_dir(graph: Graph, path: Path, *, rejects_dir: Path | None = None, progress: bool = True) -> LoadSummary:
    """Load every file of The Complete Journey from `path` (the folder of its .csv.gz files)."""
    path = Path(path)
    with ExitStack() as stack:
        opened = {stem: required_file(path, stem, required) for stem, required in
                  [("demographics", DEMOGRAPHICS), ("products", PRODUCT_COLUMNS), ("transactions", TRANSACTIONS)]
                  + [(spec.stem, spec.required) for spec in FILES]}
        for source in opened.values():
            stack.callback(source.close)
        with LoadSession(graph, rejects_dir, progress) as session:
            retailers.upsert_retailers(graph, [RETAILER])
            ctx = Context()
            session.load(opened["demographics"], FileSpec("demographics", DEMOGRAPHICS, customer_of,
                                                          _write_households), ctx)
            catalogue = Catalogue()
            session.load(opened["products"], FileSpec("products", PRODUCT_COLUMNS, catalogue.parse,
                                                      catalogue.write, batch_size=10_000), ctx)
            BasketStream(session, catalogue).load(opened["transactions"])
            for spec in FILES:
                if spec.stem == "coupons":
                    spec = replace(spec, write=catalogue.with_unlisted_products(spec.write))
                session.load(opened[spec.stem], spec, ctx)
    return session.summary


def _write_households(graph: Graph, rows: list[dict[str, Any]]) -> int:
    """Customers with demographics and their member number."""
    written = customers.upsert_customers(graph, rows)
    customers.upsert_identities(graph, [member_no_of(row["customer_id"]) for row in rows])
    return written
