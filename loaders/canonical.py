"""`c360 load canonical DIR`: one CSV (or .csv.gz) file per kind, loaded in dependency order."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from graph import campaigns, consents, customers, events, orders, products, retailers, service_cases, stores
from graph.driver import Graph
from loaders import campaigns as campaign_rows
from loaders import customers as customer_rows
from loaders import events as event_rows
from loaders import orders as order_rows
from loaders import products as product_rows
from loaders import service_cases as case_rows
from loaders import stores as store_rows
from loaders.batches import Write
from loaders.context import Context
from loaders.report import LoadSummary
from loaders.rows import LoadError, SourceFile, open_source
from loaders.session import FileSpec, LoadSession, Parse


def _spec(stem: str, required: str, parse: Parse, write: Write, refers_to: str = "") -> FileSpec:
    return FileSpec(stem, tuple(required.split()), parse, write, tuple(refers_to.split()))


FILES: tuple[FileSpec, ...] = (
    _spec("retailers", "retailer_id", store_rows.parse_retailer, retailers.upsert_retailers),
    _spec("regions", "region_id", store_rows.parse_region, stores.upsert_regions),
    _spec("stores", "store_id retailer_id", store_rows.parse_store, stores.upsert_stores, "region_id"),
    _spec("categories", "category_id name level", product_rows.parse_category, products.upsert_categories),
    _spec("brands", "brand_id", product_rows.parse_brand, products.upsert_brands),
    _spec("products", "product_id retailer_id", product_rows.parse_product, products.upsert_products,
          "category_id brand_id"),
    _spec("store_products", "store_id product_id", store_rows.parse_store_product, stores.upsert_store_products,
          "store_id product_id"),
    _spec("promotions", "store_id product_id week", store_rows.parse_promotion, stores.upsert_promotions,
          "store_id product_id"),
    _spec("customers", "customer_id retailer_id", customer_rows.parse_customer, customers.upsert_customers,
          "home_store_id region_id"),
    _spec("identities", "customer_id kind value", customer_rows.parse_identity, customers.upsert_identities,
          "customer_id"),
    _spec("consents", "customer_id purpose medium granted", customer_rows.parse_consent,
          consents.upsert_consents, "customer_id"),
    _spec("orders", "order_id retailer_id channel_id placed_at", order_rows.parse_order, orders.upsert_orders,
          "customer_id store_id channel_id"),
    _spec("order_lines", "order_id line_no product_id quantity amount", order_rows.parse_order_line,
          orders.upsert_order_lines, "order_id product_id"),
    _spec("events", "event_id kind channel_id occurred_at", event_rows.parse_event, events.upsert_events,
          "customer_id product_id channel_id store_id"),
    _spec("service_cases", "case_id customer_id opened_at", case_rows.parse_service_case,
          service_cases.upsert_service_cases, "customer_id channel_id order_id"),
    _spec("service_notes", "note_id case_id at", case_rows.parse_service_note, service_cases.upsert_service_notes,
          "case_id"),
    _spec("campaigns", "campaign_id retailer_id", campaign_rows.parse_campaign, campaigns.upsert_campaigns),
    _spec("campaign_recipients", "campaign_id customer_id", campaign_rows.parse_recipient,
          campaigns.upsert_campaign_recipients, "campaign_id customer_id"),
    _spec("coupons", "coupon_id", campaign_rows.parse_coupon, campaigns.upsert_coupons, "campaign_id product_id"),
    _spec("coupon_redemptions", "customer_id coupon_id redeemed_on", campaign_rows.parse_redemption,
          campaigns.upsert_redemptions, "customer_id coupon_id"),
)



def load_dir(graph: Graph, path: Path, *, rejects_dir: Path | None = None, progress: bool = True) -> LoadSummary:
    """Load every canonical file present in `path`; bad rows go to `rejects_dir`, good rows still load."""
    path = Path(path)
    if not path.is_dir():
        raise LoadError(f"{path}: not a folder")
    with ExitStack() as stack:
        present: list[tuple[FileSpec, SourceFile]] = []
        for spec in FILES:
            source = open_source(path, spec.stem, spec.required)
            if source is not None:
                stack.callback(source.close)
                present.append((spec, source))
        if not present:
            raise LoadError(f"{path}: no canonical file found (expected e.g. customers.csv or orders.csv.gz)")
        with LoadSession(graph, rejects_dir, progress) as session:
            ctx = Context()
            for retailer_id, timezone in retailers.retailer_timezones(graph).items():
                ctx.add_retailer(retailer_id, timezone)
            for spec, source in present:
                session.load(source, spec, ctx)
    return session.summary
