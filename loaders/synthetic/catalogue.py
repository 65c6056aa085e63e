"""Regions, stores, the category tree, brands and products of the generated retailer.

Products are indexed by popularity rank (index 0 sells most) so that a store's assortment is a prefix
of that order and a basket is drawn by inverse CDF over the prefix the store carries.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from loaders.synthetic import names
from loaders.synthetic.files import Table, ids, money, pick

RETAILER = "gen"
# department, consumable, median price (minor units), days between purchases, package sizes, categories
TAXONOMY: tuple[tuple[str, bool, int, int, tuple[str, ...], dict[str, tuple[str, ...]]], ...] = (
    ("Fresh food", True, 250, 9, ("250 G", "500 G", "1 KG", "1 L"), {
        "Dairy": ("Milk", "Yoghurt", "Cheese", "Butter"), "Bakery": ("Bread", "Pastries"),
        "Fruit & vegetables": ("Fruit", "Vegetables", "Salad"), "Meat & fish": ("Poultry", "Beef", "Fish")}),
    ("Pantry", True, 220, 21, ("250 G", "500 G", "1 KG"), {
        "Breakfast": ("Cereal", "Coffee", "Tea"), "Cooking": ("Pasta", "Rice", "Sauces", "Oil"),
        "Snacks": ("Crisps", "Chocolate", "Biscuits")}),
    ("Drinks", True, 230, 14, ("6 x 0.33 L", "1 L", "1.5 L", "0.75 L"), {
        "Soft drinks": ("Cola", "Juice", "Water"), "Beer & wine": ("Beer", "Wine")}),
    ("Household", True, 420, 35, ("1 L", "2 L", "8 ROLLS", "24 PCS"), {
        "Cleaning": ("Detergent", "Dish soap", "Surface cleaner"), "Paper": ("Toilet paper", "Kitchen roll")}),
    ("Personal care", True, 450, 40, ("75 ML", "150 ML", "250 ML"), {
        "Hair": ("Shampoo", "Conditioner"), "Oral care": ("Toothpaste", "Toothbrushes"),
        "Body": ("Deodorant", "Shower gel")}),
    ("Baby & pet", True, 800, 18, ("44 PCS", "1 KG", "4 KG"), {
        "Baby": ("Diapers", "Baby food", "Wipes"), "Pet": ("Cat food", "Dog food", "Cat litter")}),
    ("Home & garden", False, 1800, 0, (), {
        "Kitchenware": ("Pans", "Storage boxes"), "Garden": ("Plants", "Garden tools"),
        "Decoration": ("Candles", "Frames")}),
    ("Electronics", False, 4500, 0, (), {
        "Audio": ("Headphones", "Speakers"), "Accessories": ("Chargers", "Cables"),
        "Small appliances": ("Kettles", "Toasters")}),
    ("Clothing", False, 2000, 0, (), {"Basics": ("Socks", "T-shirts"), "Kids": ("Kids shoes", "Kids jackets")}),
)
FORMATS = ("hypermarket", "supermarket", "express")
FORMAT_SHARE = (0.15, 0.55, 0.30)
FORMAT_ASSORTMENT = (1.0, 0.6, 0.25)  # share of the catalogue (most popular first) a store carries
FORMAT_KIOSK = (True, True, False)
HOUSE_BRAND = "Everyday"


@dataclass(frozen=True)
class Catalogue:
    """Stores and products as arrays; product index = popularity rank."""

    store_region: np.ndarray     # (stores,) region index
    store_format: np.ndarray     # (stores,) index into FORMATS
    store_carries: np.ndarray    # (stores,) number of top products on the shelf
    product_type: np.ndarray     # (products,) index into types()
    product_department: np.ndarray  # (products,) index into TAXONOMY
    product_brand: np.ndarray    # (products,) 0 = house brand
    price_minor: np.ndarray      # (products,)
    consumable: np.ndarray       # (products,) bool
    cycle_days: np.ndarray       # (products,) typical days between purchases; 0 for durables
    cdf: np.ndarray              # (products,) cumulative popularity
    product_ids: list[str]
    brand_names: list[str]
    tables: dict[str, Table]

    @property
    def store_ids(self) -> list[str]:
        return [f"{RETAILER}:S{i + 1:03d}" for i in range(len(self.store_format))]

    def draw(self, rng: np.random.Generator, carried: np.ndarray) -> np.ndarray:
        """One product per entry, by popularity among the first `carried` products."""
        u = rng.random(len(carried)) * self.cdf[carried - 1]
        return np.minimum(np.searchsorted(self.cdf, u, side="right"), carried - 1)

    def neighbour(self, rng: np.random.Generator, product: np.ndarray) -> np.ndarray:
        """A random product of the same category as each given product (possibly itself)."""
        pairs = [(d, c) for d, c, _ in types()]
        category = np.array([pairs.index(p) for p in pairs])[self.product_type]
        by_category = np.argsort(category, kind="stable")
        first = np.searchsorted(category[by_category], category[product])
        count = np.searchsorted(category[by_category], category[product], side="right") - first
        return by_category[first + (rng.random(len(product)) * count).astype(np.int64)]


def types() -> list[tuple[int, int, str]]:
    """(department index, category number, type name) of every type, in tree order."""
    return [(d, c, t) for d, (_, _, _, _, _, cats) in enumerate(TAXONOMY)
            for c, kinds in enumerate(cats.values()) for t in kinds]


def build_catalogue(rng: np.random.Generator, customers: int) -> Catalogue:
    """A retailer sized for `customers`: ~1 store per 2,000 customers, ~1 product per 10."""
    n_stores, n_products = int(np.clip(customers // 2000, 4, 150)), int(np.clip(customers // 10, 400, 20_000))
    store_format = rng.choice(len(FORMATS), n_stores, p=FORMAT_SHARE)
    store_format[0] = 0  # at least one store carries everything
    store_region = rng.integers(0, len(names.CITIES), n_stores)
    carries = np.maximum(1, (np.array(FORMAT_ASSORTMENT)[store_format] * n_products).astype(np.int64))
    kinds = types()
    kind_dept = np.array([d for d, _, _ in kinds])
    dept_consumable = np.array([t[1] for t in TAXONOMY])
    weights = np.where(dept_consumable[kind_dept], 3.0, 1.0)
    product_type = rng.choice(len(kinds), n_products, p=weights / weights.sum())
    dept = kind_dept[product_type]
    popularity = (rng.permutation(n_products) + 5.0) ** -1.05 * np.where(dept_consumable[dept], 1.0, 0.25)
    order = np.argsort(-popularity, kind="stable")
    product_type, dept, popularity = product_type[order], dept[order], popularity[order]
    consumable = dept_consumable[dept]
    type_factor = rng.lognormal(0.0, 0.3, len(kinds))
    median = np.array([t[2] for t in TAXONOMY])[dept] * type_factor[product_type]
    price = np.maximum(49, np.round(rng.lognormal(np.log(median), 0.45) / 10) * 10 - 1).astype(np.int64)
    cycle = np.array([t[3] for t in TAXONOMY], dtype=float)[dept]
    brand_names, brand_dept = _brands(rng, n_products)
    brand = _product_brands(rng, dept, brand_dept)
    product_ids = [f"{RETAILER}:P{n:06d}" for n in (rng.permutation(n_products) + 1).tolist()]
    catalogue = Catalogue(store_region, store_format, carries, product_type, dept, brand, price, consumable, cycle,
                          np.cumsum(popularity) / popularity.sum(), product_ids, brand_names, {})
    catalogue.tables.update(_tables(rng, catalogue, dept))
    return catalogue


def _brands(rng: np.random.Generator, n_products: int) -> tuple[list[str], np.ndarray]:
    count = int(np.clip(n_products // 60, 12, 240))
    combos = rng.choice(len(names.BRAND_START) * len(names.BRAND_END), count, replace=False)
    made = [names.BRAND_START[c // len(names.BRAND_END)] + names.BRAND_END[c % len(names.BRAND_END)]
            for c in combos.tolist()]
    brand_dept = np.concatenate([[-1], rng.permutation(count) % len(TAXONOMY)])
    return [HOUSE_BRAND, *made], brand_dept


def _product_brands(rng: np.random.Generator, dept: np.ndarray, brand_dept: np.ndarray) -> np.ndarray:
    by_dept = np.argsort(brand_dept, kind="stable")
    first = np.searchsorted(brand_dept[by_dept], dept)
    count = np.searchsorted(brand_dept[by_dept], dept, side="right") - first
    branded = by_dept[np.minimum(first + (rng.random(len(dept)) * count).astype(np.int64), len(by_dept) - 1)]
    return np.where((rng.random(len(dept)) < 0.25) | (count == 0), 0, branded)


def _tables(rng: np.random.Generator, c: Catalogue, dept: np.ndarray) -> dict[str, Table]:
    regions = [region for region, _ in names.CITIES]
    cities = [names.CITIES[r][1][rng.integers(0, 6)] for r in c.store_region.tolist()]
    store_names = [f"{city} {FORMATS[f]} {i + 1}" for i, (city, f) in enumerate(zip(cities, c.store_format.tolist()))]
    kinds = types()
    type_ids = _type_ids(kinds)
    sizes = [TAXONOMY[d][4][rng.integers(0, len(TAXONOMY[d][4]))] if TAXONOMY[d][4] else "" for d in dept.tolist()]
    product_names = [f"{c.brand_names[b]} {kinds[t][2]}" + (f" {s}" if s else f" {chr(65 + t % 26)}{p % 90 + 10}")
                     for p, (b, t, s) in enumerate(zip(c.product_brand.tolist(), c.product_type.tolist(), sizes))]
    shelf = np.concatenate([np.arange(n) for n in c.store_carries.tolist()])
    shelf_store = np.repeat(np.arange(len(c.store_carries)), c.store_carries)
    return {
        "retailers": {"retailer_id": [RETAILER], "name": ["Generated Retail"], "currency": ["EUR"],
                      "timezone": ["Europe/Amsterdam"]},
        "regions": {"region_id": [f"{RETAILER}:R{i + 1}" for i in range(len(regions))], "name": regions},
        "stores": {"store_id": c.store_ids, "retailer_id": [RETAILER] * len(cities), "name": store_names,
                   "format": pick(FORMATS, c.store_format),
                   "region_id": [f"{RETAILER}:R{r + 1}" for r in c.store_region.tolist()]},
        "categories": _category_table(kinds, type_ids),
        "brands": {"brand_id": ids(f"{RETAILER}:B", np.arange(len(c.brand_names)), 3), "name": c.brand_names},
        "products": {"product_id": c.product_ids, "retailer_id": [RETAILER] * len(sizes), "name": product_names,
                     "category_id": pick(type_ids, c.product_type),
                     "brand_id": ids(f"{RETAILER}:B", c.product_brand, 3), "price": money(c.price_minor),
                     "is_consumable": np.where(c.consumable, "true", "false"), "package_size": sizes},
        "store_products": {"store_id": pick(c.store_ids, shelf_store),
                           "product_id": pick(c.product_ids, shelf),
                           "stock": rng.poisson(14, len(shelf)), "source": ["generated"] * len(shelf)},
    }


def _type_ids(kinds: list[tuple[int, int, str]]) -> list[str]:
    """`gen:D<department>.<category>.<type>` per type, numbered from 1 within each parent."""
    seen: Counter[tuple[int, int]] = Counter()
    out = []
    for d, k, _ in kinds:
        seen[(d, k)] += 1
        out.append(f"{RETAILER}:D{d + 1}.{k + 1}.{seen[(d, k)]}")
    return out


def _category_table(kinds: list[tuple[int, int, str]], type_ids: list[str]) -> Table:
    rows: list[tuple[str, str, str, str]] = []
    for d, (department, _, _, _, _, cats) in enumerate(TAXONOMY):
        rows.append((f"{RETAILER}:D{d + 1}", department, "department", ""))
        rows += [(f"{RETAILER}:D{d + 1}.{k + 1}", name, "category", f"{RETAILER}:D{d + 1}")
                 for k, name in enumerate(cats)]
    rows += [(tid, name, "type", tid.rsplit(".", 1)[0]) for tid, (_, _, name) in zip(type_ids, kinds)]
    return dict(zip(("category_id", "name", "level", "parent_id"), map(list, zip(*rows))))
