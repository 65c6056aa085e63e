"""The served ranking: the hybrid score evaluated only on each customer's candidates.

Scoring every customer against the whole catalogue costs (customers x products) cells, most of them
hopeless. A product can only reach a customer's list through one of the hybrid's parts, so the
candidates are: what the customer bought (repurchase), the collaborative model's best `per_source`
products (implicit's top-k, which never materialises the full score row), the item-kNN model's best
`per_source` (unless the blend weighs it 0), the customer's customers-like-you row and the home store's
(else overall) best sellers. Each candidate then gets exactly the score the hybrid's formula (`hybrid.blend`)
gives it over the whole catalogue, normalisations included (each part's row maximum is known from its own
top-k), so the list differs from the dense ranking only when a product outside every part's top
`per_source` would have won on their sum. Tuning and evaluation (recsys.comparison) score the same candidates.
With learned orders in the artifact, the never-bought and the bought-before candidates then take the places the
blend gives discovery offers and repurchases in their models' order (recsys.learned_order). `sources` then names,
for each offer, the customer's product it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from implicit.cpu.topk import topk
from scipy.sparse import csr_matrix

from recsys import hybrid, learned_order
from recsys.history import PurchaseStats, run_starts
from recsys.interactions import log_scaled
from recsys.model import Artifact, is_item_knn
from recsys.sort_keys import by_row_then_descending

PER_SOURCE = 100
FEW_CUSTOMERS = 32            # fewer rows than this are scored with implicit's top-k, more with one BLAS product
SCORE_CELLS = 4_000_000       # customers x products scored at once in a batch (16 MB of float32)
HEAD_PRODUCTS = 4_096         # products with the longest factors, scored for every customer of a batch
FURTHER_GROUP = 64            # customers scored together past the head (the group goes as far as its furthest)
SCORED_PAIRS = 16_384         # (customer, product) pairs whose factor scores are computed together (fits in cache)
SIMILARITY_CELLS = 2_000_000   # offered x owned products whose neighbour similarities are held at once (8 MB)
DENSE_CELLS = 4_000_000       # stores x products up to which store popularity is held dense for lookups (16 MB)


@dataclass(frozen=True)
class Ranked:
    """Each customer's best offers as aligned arrays, by row then best first."""

    rows: np.ndarray      # int64 customer row in the batch
    cols: np.ndarray      # int64 product index
    total: np.ndarray     # float32 hybrid score
    leading: np.ndarray   # int8 index into hybrid.COMPONENTS
    due: np.ndarray       # float32, 0 where never bought or not personalised
    owned: np.ndarray     # bool, the customer has bought the product


@dataclass(frozen=True)
class _Part:
    """One collaborative part for a batch: candidates, the row maxima and a way to score any pair."""

    rows: np.ndarray
    cols: np.ndarray
    row_max: np.ndarray

    def normalised(self, values: np.ndarray, rows: np.ndarray) -> np.ndarray:
        top = self.row_max[rows]
        return np.divide(np.maximum(values, 0.0), top, out=np.zeros(len(rows), np.float32), where=top > 0)


@dataclass(frozen=True)
class Candidates:
    """Each customer's candidates, sorted by row then product, with the unweighted parts of their score.

    `parts` holds 1-D arrays aligned with rows/cols (hybrid.Components elementwise); `parts.suppressed` is
    the recent-purchase rule under the settings the candidates were found with.
    """

    rows: np.ndarray      # int64 customer row in the batch
    cols: np.ndarray      # int64 product index
    parts: hybrid.Components
    bought: np.ndarray    # float32 baskets holding the product, 0 never bought
    last: np.ndarray      # float32 days since the last purchase + 1, 0 never bought
    interval: np.ndarray  # float32 the customer's usual interval for the product, 0 unknown
    customer_products: np.ndarray     # (batch,) products each customer interacted with
    customer_top_baskets: np.ndarray  # (batch,) baskets holding the customer's most bought product
    customer_days_since: np.ndarray   # (batch,) days since the customer's last purchase, NaN never

    def suppressed(self, settings: hybrid.HybridSettings) -> np.ndarray:
        """The recent-purchase rule under other settings (parts.suppressed is under the finding ones)."""
        return hybrid.recently_bought(self.last, self.interval, self.bought, self.parts.rate, settings)


def find(artifact: Artifact, user_items: csr_matrix, stats: PurchaseStats, peers: csr_matrix,
         home_stores: np.ndarray, settings: hybrid.HybridSettings, per_source: int = PER_SOURCE) -> Candidates:
    """The candidates of each customer in the batch and their parts (see the module docstring)."""
    n_rows, n_products = user_items.shape
    per_source = min(per_source, n_products)
    factors = _factors(artifact, user_items)
    neighbour_scores = _neighbour_scores(artifact, user_items) if factors is None or settings.neighbours else \
        csr_matrix(user_items.shape, dtype=np.float32)      # weighed 0 (as tuned weights often do): not a part
    knn = _sparse_part(neighbour_scores, per_source)
    collab = knn if factors is None else _factor_part(artifact, factors, per_source)
    popular_rows, popular_cols = _popular_candidates(artifact, home_stores, per_source)
    bought, peers = stats.baskets.tocsr(), peers.tocsr()
    rows, cols = _union(n_products,
                        (np.repeat(np.arange(n_rows), np.diff(bought.indptr)), bought.indices),
                        (np.repeat(np.arange(n_rows), np.diff(peers.indptr)), peers.indices),
                        (collab.rows, collab.cols), (knn.rows, knn.cols), (popular_rows, popular_cols))
    last, rate, baskets, interval, due = lookup_alike(
        (stats.last, stats.rate, bought, stats.interval, hybrid.due_factor(stats)), rows, cols)
    knn_values = lookup(neighbour_scores, rows, cols)
    collab_values = knn_values if factors is None else _scores_at(factors, artifact.model.item_factors, rows, cols)
    parts = hybrid.Components(
        rate, due, np.divide(1.0, last, out=np.zeros_like(last), where=last > 0),
        collab.normalised(collab_values, rows), knn.normalised(knn_values, rows),
        _popular_values(artifact, home_stores, rows, cols, per_source), lookup(peers, rows, cols),
        hybrid.recently_bought(last, interval, baskets, rate, settings))
    return Candidates(rows, cols, parts, baskets, last, interval, *_customer_figures(user_items, bought, stats.last))


def _customer_figures(user_items: csr_matrix, baskets: csr_matrix, last: csr_matrix
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per customer of the batch: products interacted with, baskets of the most bought one, days since the last
    purchase (NaN never); float32."""
    products = np.diff(user_items.tocsr().indptr).astype(np.float32)
    top = np.asarray(baskets.max(axis=1).toarray(), dtype=np.float32).ravel() if baskets.shape[1] else \
        np.zeros(baskets.shape[0], np.float32)
    last = last.tocsr()
    since = np.full(last.shape[0], np.nan, dtype=np.float32)
    has = np.flatnonzero(np.diff(last.indptr) > 0)
    if len(has):
        days = np.minimum.reduceat(np.where(last.data > 0, last.data, np.inf), last.indptr[has]) - 1.0
        since[has] = np.where(np.isfinite(days), days, np.nan)
    return products, top, since


def rank(artifact: Artifact, user_items: csr_matrix, stats: PurchaseStats, peers: csr_matrix,
         home_stores: np.ndarray, personalise: np.ndarray, settings: hybrid.HybridSettings,
         per_source: int = PER_SOURCE) -> Ranked:
    """The `settings.list_size` best offers of each customer in the batch (see the module docstring)."""
    found = find(artifact, user_items, stats, peers, home_stores, settings, per_source)
    rows, parts = found.rows, found.parts
    refused = ~personalise[rows]
    total, leading = hybrid.blend(parts.rate, parts.due, parts.recency, parts.collaborative, parts.neighbours,
                                  parts.popular, parts.peers, refused, settings)
    held_back = parts.suppressed & ~refused
    if learned_order.holds_any(artifact):     # else the floor's sort would be wasted
        floor = _floor(rows, found.cols, total, (total > 0) & ~held_back, settings.list_size, len(home_stores))
        total = learned_order.served(artifact, found, total, ~refused & ~held_back, floor)
    keep = np.flatnonzero((total > 0) & ~held_back)
    best = keep[best_per_row(rows[keep], found.cols[keep], total[keep], settings.list_size)]
    return Ranked(rows[best], found.cols[best], total[best], leading[best],
                  np.where(refused[best], 0.0, parts.due[best]).astype(np.float32), found.bought[best] > 0)


def _floor(rows: np.ndarray, cols: np.ndarray, total: np.ndarray, listed: np.ndarray, n: int, n_rows: int
           ) -> np.ndarray:
    """Per row, the n-th highest total among the `listed` candidates: the lowest a full list holds (-inf for a
    row with fewer)."""
    at = np.flatnonzero(listed)
    best = at[best_per_row(rows[at], cols[at], total[at], n)]     # by row, best first
    counts = np.bincount(rows[best], minlength=n_rows)
    full = counts >= n
    floor = np.full(n_rows, -np.inf, dtype=np.float32)
    floor[full] = total[best[(np.cumsum(counts) - 1)[full]]]
    return floor


def lookup(matrix: csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """matrix[rows[i], cols[i]] for aligned index arrays, 0 where the entry is absent (float32)."""
    return _Stored.of(matrix).at(rows, cols)


def lookup_alike(matrices: tuple[csr_matrix, ...], rows: np.ndarray, cols: np.ndarray) -> list[np.ndarray]:
    """lookup() of each matrix, searching once where they share one sorted pattern (as PurchaseStats' do)."""
    matrices = tuple(m.tocsr() for m in matrices)
    first = matrices[0]
    if not all(m.has_sorted_indices and m.nnz == first.nnz and (m.indices is first.indices or np.array_equal(
            m.indices, first.indices)) and np.array_equal(m.indptr, first.indptr) for m in matrices):
        return [lookup(m, rows, cols) for m in matrices]
    if not first.nnz:
        return [np.zeros(len(rows), np.float32) for _ in matrices]
    position, found = _Stored.of(first).find(rows, cols)
    return [np.where(found, m.data[position], 0.0).astype(np.float32) for m in matrices]


def _scores_at(factors: np.ndarray, items: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """factors[rows[i]] . items[cols[i]] (float32), in cache-sized pieces: the same sums as one einsum."""
    result = np.empty(len(rows), np.float32)
    for start in range(0, len(rows), SCORED_PAIRS):
        part = slice(start, start + SCORED_PAIRS)
        result[part] = np.einsum("ij,ij->i", factors[rows[part]], items[cols[part]])
    return result


@dataclass(frozen=True)
class _Stored:
    """A csr matrix's entries as sorted int64 keys (row * width + col) and their values, for lookups."""

    keys: np.ndarray
    data: np.ndarray
    width: np.int64

    @classmethod
    def of(cls, matrix: csr_matrix) -> _Stored:
        matrix = matrix.tocsr()
        if not matrix.has_sorted_indices:
            matrix = matrix.sorted_indices()
        width = np.int64(matrix.shape[1])
        rows = np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))
        return cls(rows * width + matrix.indices, matrix.data, width)

    def at(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        if not len(self.keys):
            return np.zeros(len(rows), np.float32)
        position, found = self.find(rows, cols)
        return np.where(found, self.data[position], 0.0).astype(np.float32)

    def find(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index into the stored values of each (row, col) pair, and whether it is stored at all."""
        if not len(self.keys) or not len(rows):
            return np.zeros(len(rows), np.int64), np.zeros(len(rows), bool)   # no stored value to index
        wanted = rows.astype(np.int64) * self.width + cols
        if len(self.keys) < len(wanted) and _increasing(wanted):
            return self._found_among(wanted)
        position = np.minimum(np.searchsorted(self.keys, wanted), len(self.keys) - 1)
        return position, self.keys[position] == wanted

    def _found_among(self, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """find() for strictly increasing keys outnumbering the stored ones (a batch's 200,000 sorted candidates
        against 43,000 purchase records): each stored key is looked up among them, the smaller search."""
        place = np.minimum(np.searchsorted(wanted, self.keys), len(wanted) - 1)
        hit = np.flatnonzero(wanted[place] == self.keys)
        position = np.zeros(len(wanted), np.int64)
        found = np.zeros(len(wanted), bool)
        position[place[hit]] = hit
        found[place[hit]] = True
        return position, found


@dataclass(frozen=True)
class _Dense:
    """A small matrix held dense (float32), with _Stored's lookup: a gather instead of a search."""

    values: np.ndarray

    def at(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        return self.values[rows, cols]


def sources(artifact: Artifact, user_items: csr_matrix, rows: np.ndarray, cols: np.ndarray,
            codes: np.ndarray) -> np.ndarray:
    """For each offer, the customer's product it comes from (product index, -1 none).

    Bought again: the product itself. Similar to a purchase or bought together: the customer's product most
    similar to the offer (by unit factors or item-kNN neighbours, as the reason says), the first of equals.
    """
    result = np.full(len(rows), -1, dtype=np.int64)
    unit = _unit_factors(artifact)
    for code in (2, 3):
        pick = np.flatnonzero(codes == code)
        if unit is None or code == 3:
            result[pick] = _closest_neighbour(artifact, user_items, rows[pick], cols[pick])
            continue
        pick = pick[np.argsort(rows[pick], kind="stable")]
        picked_rows = rows[pick]
        starts = np.flatnonzero(run_starts(picked_rows))
        for start, end in zip(starts.tolist(), [*starts[1:].tolist(), len(pick)]):
            row = picked_rows[start]
            mine = user_items.indices[user_items.indptr[row]:user_items.indptr[row + 1]]
            here = pick[start:end]
            if len(mine):
                result[here] = mine[np.argmax(unit[mine] @ unit[cols[here]].T, axis=0)]
    here = np.flatnonzero(codes <= 1)
    result[here] = cols[here]
    return result


def _unit_factors(artifact: Artifact) -> np.ndarray | None:
    """Item factors scaled to unit length (None for item-kNN models), computed once per artifact."""
    factors = getattr(artifact.model, "item_factors", None)
    if factors is None:
        return None
    return artifact.derived("unit factors", lambda: factors / (np.linalg.norm(factors, axis=1, keepdims=True) + 1e-9))


def _closest_neighbour(artifact: Artifact, user_items: csr_matrix, rows: np.ndarray, cols: np.ndarray
                       ) -> np.ndarray:
    """For each offer (row, col), the row's product m with the highest neighbours[m, col] (0 where not stored),
    the first of equals in the row's order; -1 where the row has no products.

    All offers at once (a dense argmax over each customer's products, without a sparse slice per customer): every
    (offer, customer's product) pair reads its similarity from a dense block of the neighbours, offered products
    by the customers' products, at most SIMILARITY_CELLS cells at a time. Offers are mostly popular products, so
    a batch has few distinct ones (about 70 a batch of 1,000 on the generated retailer).
    """
    if not len(rows):
        return np.empty(0, dtype=np.int64)
    owned = user_items[rows]
    offer = np.repeat(np.arange(len(rows)), np.diff(owned.indptr))
    offered, offer_column = np.unique(cols, return_inverse=True)
    pair_column = offer_column[offer]
    present = np.zeros(user_items.shape[1], dtype=bool)
    present[owned.indices] = True
    mine = np.flatnonzero(present)
    pair_mine = (np.cumsum(present) - 1)[owned.indices]
    towards = artifact.derived("neighbours towards", lambda: artifact.neighbours.T.tocsr())
    similarity = np.zeros(len(offer), dtype=towards.dtype)
    step = max(1, SIMILARITY_CELLS // max(len(mine), 1))
    for start in range(0, len(offered), step):
        block = towards[offered[start:start + step]][:, mine].toarray()
        here = slice(None) if len(offered) <= step else \
            np.flatnonzero((pair_column >= start) & (pair_column < start + step))
        similarity[here] = block[pair_column[here] - start, pair_mine[here]]
    return _first_best(offer, owned.indices, similarity, len(rows))


def _first_best(group: np.ndarray, items: np.ndarray, values: np.ndarray, groups: int) -> np.ndarray:
    """For each of `groups` groups (`group` ascending), the item with the highest value, the first of equals;
    -1 for a group with no items. One linear pass: best_per_row would sort every (group, item) pair."""
    result = np.full(groups, -1, dtype=np.int64)
    if not len(group):
        return result
    starts = np.flatnonzero(np.diff(group, prepend=-1))
    best = np.maximum.reduceat(values, starts)
    first = np.flatnonzero(values == np.repeat(best, np.diff(np.append(starts, len(group)))))
    first = first[np.diff(group[first], prepend=-1) != 0]
    result[group[first]] = items[first]
    return result


def _factors(artifact: Artifact, user_items: csr_matrix) -> np.ndarray | None:
    """Customer factors as hybrid.collaborative computes them; None for item-kNN models."""
    model = artifact.model
    if is_item_knn(model):
        return None
    if type(model).__name__ == "AlternatingLeastSquares":
        confidence = log_scaled(user_items, artifact.settings.alpha)
        factors = model.recalculate_user(np.arange(user_items.shape[0]), confidence)
        return np.ascontiguousarray(np.atleast_2d(factors), dtype=np.float32)
    weights = user_items.multiply(1.0 / np.maximum(user_items.sum(axis=1), 1e-9)).tocsr()
    return np.ascontiguousarray(np.asarray(weights @ model.item_factors), dtype=np.float32)


def _factor_part(artifact: Artifact, factors: np.ndarray, k: int) -> _Part:
    if len(factors) < FEW_CUSTOMERS:    # the worker: every product, in implicit's top-k
        items = np.ascontiguousarray(artifact.model.item_factors, dtype=np.float32)
        best, scores = _top_scored(items, factors, k)
    else:                               # a batch: only the products within reach (_top_products)
        best, scores = _top_products(_by_length(artifact), factors, k)
    finite = np.isfinite(scores) & (best >= 0)
    rows = np.repeat(np.arange(len(factors)), k).reshape(len(factors), k)
    row_max = np.maximum(np.where(finite, scores, -np.inf).max(axis=1, initial=0.0), 0.0)
    return _Part(rows[finite], best[finite], row_max.astype(np.float32))


@dataclass(frozen=True)
class _ByLength:
    """Item factors ordered by length, longest first: a product scores at most |customer| x |product|."""

    items: np.ndarray     # float32 (products, factors), longest first
    lengths: np.ndarray   # float32, descending
    order: np.ndarray     # int64 product index of each row


def _by_length(artifact: Artifact) -> _ByLength:
    """The artifact's item factors by length, computed once per artifact."""
    def make() -> _ByLength:
        items = np.asarray(artifact.model.item_factors, dtype=np.float32)
        lengths = np.linalg.norm(items, axis=1)
        order = np.argsort(-lengths, kind="stable")
        return _ByLength(np.ascontiguousarray(items[order]), lengths[order], order.astype(np.int64))
    return artifact.derived("factors by length", make)


def _top_products(by_length: _ByLength, factors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's k best products by factor score (in no particular order) and their scores.

    Exact, without scoring every product: each customer is scored against the HEAD_PRODUCTS longest item
    factors first; a shorter one can only beat the k-th best score found there where |customer| x |product|
    reaches it (Cauchy-Schwarz), so customers whose bound reaches past the head are scored further, in groups
    of similar reach, each only as far as its furthest. On Complete Journey's 68,262 products a customer's
    bound reaches 6,000 at the median and 20,000 at most: a sixth of the cells.
    """
    n = len(by_length.items)
    if k >= n:
        best = np.tile(np.arange(n), (len(factors), 1))
        return by_length.order[best], factors @ by_length.items[:n].T
    head = min(n, max(HEAD_PRODUCTS, 2 * k))
    step = max(1, SCORE_CELLS // head)
    best, scores = [], []
    for start in range(0, len(factors), step):
        chunk = factors[start:start + step]
        picked, top = _top_scored(by_length.items[:head], chunk, k)
        reach = _reach(by_length.lengths, top.min(axis=1), np.linalg.norm(chunk, axis=1))
        further = np.flatnonzero(reach > head)
        further = further[np.argsort(reach[further], kind="stable")]
        for group in np.array_split(further, -(-len(further) // FURTHER_GROUP)) if len(further) else []:
            end = int(reach[group].max())
            more_picked, more = _top_scored(by_length.items[head:end], chunk[group], min(k, end - head))
            columns = np.hstack([picked[group], more_picked + head])
            chosen, top[group] = _top_columns(np.hstack([top[group], more]), k)
            picked[group] = np.take_along_axis(columns, chosen, axis=1)
        best.append(by_length.order[picked])
        scores.append(top)
    return np.concatenate(best), np.concatenate(scores)


def _top_scored(items: np.ndarray, factors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Row index into `items` and score of each customer's k best (implicit's top-k: about twice as fast as a
    BLAS product and argpartition on 4,096 products)."""
    picked, top = topk(items, factors, k, num_threads=0)
    return picked.astype(np.int64), top


def _top_columns(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Column index and value of each row's k largest scores (in no particular order)."""
    # a copy, not a view: a view would keep the whole index array (rows x columns) alive
    picked = np.argpartition(scores, scores.shape[1] - k, axis=1)[:, scores.shape[1] - k:].copy()
    return picked, np.take_along_axis(scores, picked, axis=1)


def _reach(lengths: np.ndarray, kth: np.ndarray, customer_lengths: np.ndarray) -> np.ndarray:
    """How many of the products (longest first) could still score at least `kth` for each customer."""
    kth = kth - 1e-4 * np.abs(kth)      # room for float32 rounding of the scores against the exact bound
    with np.errstate(divide="ignore", invalid="ignore"):
        bound = np.where(customer_lengths > 0, kth / customer_lengths, np.inf)
    return np.searchsorted(-lengths, -bound, side="right")


def _neighbour_scores(artifact: Artifact, user_items: csr_matrix) -> csr_matrix:
    """Similarity to everything the customer interacted with (sparse hybrid.neighbours)."""
    if user_items.shape[0] == 1:    # the worker: the neighbour rows of the customer's products, summed
        mine = artifact.neighbours[np.sort(user_items.indices[user_items.data > 0])]
        summed = np.zeros(user_items.shape[1], dtype=np.float32)
        np.add.at(summed, mine.indices, mine.data.astype(np.float32))    # in the product's order: the same sums
        cols = np.flatnonzero(summed)
        return csr_matrix((summed[cols], cols, [0, len(cols)]), shape=user_items.shape)
    binary = (user_items > 0).astype(np.float32)
    scores = (binary @ artifact.neighbours).tocsr()
    scores.sort_indices()
    return scores


def _sparse_part(scores: csr_matrix, k: int) -> _Part:
    rows, cols = _top_stored(scores, k)
    row_max = np.asarray(scores.max(axis=1).toarray()).ravel() if scores.shape[1] else np.zeros(scores.shape[0])
    return _Part(rows, cols, np.maximum(row_max, 0.0).astype(np.float32))


def _top_stored(matrix: csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(row, col) of each row's k largest stored values (in no particular order within a row).

    A loop over rows with argpartition: about 50 us a row, several times faster than one global sort.
    """
    indptr, indices, data = matrix.indptr, matrix.indices, matrix.data
    picked = []
    for row in range(matrix.shape[0]):
        start, end = indptr[row], indptr[row + 1]
        if end - start > k:
            picked.append(start + np.argpartition(-data[start:end], k - 1)[:k])
        else:
            picked.append(np.arange(start, end))
    positions = np.concatenate(picked) if picked else np.zeros(0, np.int64)
    rows = np.repeat(np.arange(matrix.shape[0]), [len(p) for p in picked])
    return rows, indices[positions].astype(np.int64)


@dataclass(frozen=True)
class _Popularity:
    """Per-artifact popularity lookups, computed once: each store's best sellers and row maxima."""

    by_store: list[np.ndarray]   # store index -> its k best sellers (empty: no sales)
    overall: np.ndarray          # the k best sellers overall
    overall_share: np.ndarray    # (products,) popularity / the best seller's
    store_max: np.ndarray        # (stores,) each store's best seller's popularity
    at_store: _Stored | _Dense   # store_popularity for lookups


def _popularity(artifact: Artifact, k: int) -> _Popularity:
    """The artifact's popularity lookups for `k` best sellers, computed once per artifact and k."""
    def make() -> _Popularity:
        stores = artifact.store_popularity.tocsr()
        store_rows, store_cols = _top_stored(stores, k)
        popularity = artifact.popularity
        small = stores.shape[0] * stores.shape[1] <= DENSE_CELLS     # 50 stores x 10,000 products, not 457 x 68,262
        return _Popularity(
            by_store=np.split(store_cols, np.searchsorted(store_rows, np.arange(1, stores.shape[0]))),
            overall=np.argsort(-popularity, kind="stable")[:k],
            overall_share=(popularity / max(float(popularity.max(initial=0.0)), 1e-9)).astype(np.float32),
            store_max=np.asarray(stores.max(axis=1).toarray()).ravel() if stores.shape[1] else
            np.zeros(stores.shape[0]),
            at_store=_Dense(stores.toarray().astype(np.float32)) if small else _Stored.of(stores))
    return artifact.derived(("popularity", k), make)


def _popular_candidates(artifact: Artifact, home_stores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's home store's k best sellers (overall best sellers where unknown or empty)."""
    index = _popularity(artifact, k)
    picks = [index.by_store[s] if s >= 0 and len(index.by_store[s]) else index.overall for s in home_stores.tolist()]
    rows = np.repeat(np.arange(len(picks)), [len(p) for p in picks])
    return rows, np.concatenate(picks).astype(np.int64) if picks else np.zeros(0, np.int64)


def _popular_values(artifact: Artifact, home_stores: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                    k: int) -> np.ndarray:
    """hybrid.popular_at at the given pairs."""
    index = _popularity(artifact, k)
    values = index.overall_share[cols].copy()
    homes = home_stores[rows]
    at_store = np.flatnonzero(homes >= 0)
    at_store = at_store[index.store_max[homes[at_store]] > 0]
    values[at_store] = index.at_store.at(homes[at_store], cols[at_store]) / index.store_max[homes[at_store]]
    return values


def _union(width: int, *pairs: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (row, col) pairs of all sources, sorted by row then col."""
    keys = _distinct(np.concatenate([r.astype(np.int64) * width + c for r, c in pairs]))
    return keys // width, keys % width


def _distinct(values: np.ndarray) -> np.ndarray:
    """np.unique by sorting: numpy 2.3+'s hash-based np.unique is 50-100x slower on these integer arrays. The
    stable sort merges the runs the sources come in (each sorted by row, most by product within a row): 7.5 ms
    for 500,000 keys of five such sources, against 25 ms with the default quicksort."""
    values = np.sort(values, kind="stable")
    return values[run_starts(values)]


def best_per_row(rows: np.ndarray, cols: np.ndarray, total: np.ndarray, n: int) -> np.ndarray:
    """Positions of each row's n highest totals, by row then best first (ties: lower product index)."""
    order = _by_row_then_best(rows, cols, total)
    sorted_rows = rows[order]
    starts = np.flatnonzero(run_starts(sorted_rows))
    first = np.repeat(starts, np.diff(np.append(starts, len(rows))))    # where each position's row begins
    return order[np.arange(len(order)) - first < n]


def _by_row_then_best(rows: np.ndarray, cols: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Positions ordered by row, then total descending, then product.

    Candidates come sorted by row then product, so a position stands for the product within its row and the
    packed key of sort_keys.by_row_then_descending orders them; anything else is lexsorted.
    """
    if _sorted_pairs(rows, cols):
        return by_row_then_descending(rows, total)
    return np.lexsort((cols, -total, rows))


def _increasing(keys: np.ndarray) -> bool:
    return bool((keys[1:] > keys[:-1]).all())


def _sorted_pairs(rows: np.ndarray, cols: np.ndarray) -> bool:
    """Whether (row, col) pairs are strictly increasing, row first."""
    step = np.diff(rows)
    return bool((step >= 0).all() and ((step > 0) | (np.diff(cols) > 0)).all())
