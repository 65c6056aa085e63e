"""Collaborative models from `implicit` and the versioned artifact the precompute and the worker load.

An artifact is a folder `<models>/<version>/` holding the model, item neighbours, popularity, id maps and, when
they were learnt, the learned orders' models (`discovery.txt`, `repurchase.txt`: LightGBM's text format);
`<models>/LATEST` names the newest complete one (replaced atomically, so readers never see half a model).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from implicit.als import AlternatingLeastSquares
from implicit.bpr import BayesianPersonalizedRanking
from implicit.cpu import als as cpu_als
from implicit.cpu import bpr as cpu_bpr
from implicit.nearest_neighbours import BM25Recommender, CosineRecommender, ItemItemRecommender, bm25_weight, normalize
from implicit.recommender_base import RecommenderBase
from scipy.sparse import csr_matrix, diags, load_npz, save_npz
from threadpoolctl import threadpool_limits

from recsys import learned_order
from recsys.interactions import IdMaps, InteractionSettings, log_scaled

T = TypeVar("T")

ALGORITHMS = ("als", "bpr", "cosine", "bm25")
CLASSES: dict[str, Any] = {"als": cpu_als.AlternatingLeastSquares, "bpr": cpu_bpr.BayesianPersonalizedRanking,
                           "cosine": CosineRecommender, "bm25": BM25Recommender}
LATEST = "LATEST"


@dataclass(frozen=True)
class ModelSettings:
    """Hyperparameters; the defaults are the ones tuned on complete_journey's validation split."""

    algorithm: str = "als"
    factors: int = 64
    regularization: float = 0.05
    alpha: float = 2.0          # confidence = 1 + alpha * log1p(weight)
    iterations: int = 15
    learning_rate: float = 0.01  # BPR only
    neighbours: int = 100        # item-kNN only, and the similar-products lists
    peers: int = 100             # customers like you: nearest customers averaged (0 = none)
    seed: int = 42
    threads: int = 1


def build(settings: ModelSettings) -> RecommenderBase:
    """An untrained implicit model, CPU only and seeded."""
    if settings.algorithm == "als":
        return AlternatingLeastSquares(factors=settings.factors, regularization=settings.regularization,
                                       iterations=settings.iterations, random_state=settings.seed,
                                       use_gpu=False, num_threads=settings.threads,
                                       calculate_training_loss=False)
    if settings.algorithm == "bpr":
        return BayesianPersonalizedRanking(factors=settings.factors, learning_rate=settings.learning_rate,
                                           regularization=settings.regularization,
                                           iterations=settings.iterations * 10, random_state=settings.seed,
                                           use_gpu=False, num_threads=settings.threads)
    if settings.algorithm == "cosine":
        return CosineRecommender(K=settings.neighbours, num_threads=settings.threads)
    if settings.algorithm == "bm25":
        return BM25Recommender(K=settings.neighbours, num_threads=settings.threads)
    raise ValueError(f"unknown algorithm {settings.algorithm!r}; choose one of {', '.join(ALGORITHMS)}")


def fit(matrix: csr_matrix, settings: ModelSettings) -> RecommenderBase:
    """Train on a customer x product weight matrix (shape (customers, products))."""
    with threadpool_limits(1, "blas"):   # implicit's own threads do the work; BLAS threads only contend
        model = build(settings)
        if isinstance(model, ItemItemRecommender):
            _fit_item_knn(model, matrix)
        else:
            model.fit(log_scaled(matrix, settings.alpha), show_progress=False)
    return model


def _fit_item_knn(model: ItemItemRecommender, matrix: csr_matrix) -> None:
    """Cosine or BM25 weighting as implicit does it, handed over as CSR (implicit's own helpers make COO)."""
    if isinstance(model, BM25Recommender):
        weighted = bm25_weight(matrix.T, model.K1, model.B).T
    else:
        weighted = normalize(matrix.T).T
    ItemItemRecommender.fit(model, csr_matrix(weighted), show_progress=False)


def item_neighbours(matrix: csr_matrix, k: int, threads: int = 1) -> csr_matrix:
    """Item x item cosine similarities, top `k` per product, diagonal removed; shape (products, products)."""
    knn = CosineRecommender(K=k + 1, num_threads=threads)
    _fit_item_knn(knn, (matrix > 0).astype(np.float32).tocsr())
    similarity = knn.similarity.tocsr().astype(np.float32)
    similarity.setdiag(0)
    similarity.eliminate_zeros()
    return similarity


@dataclass
class Artifact:
    """A trained recommender: model, item neighbours, popularity and the ids they are indexed by."""

    version: str
    trained_at: str
    ids: IdMaps
    model: RecommenderBase
    neighbours: csr_matrix            # (products, products) cosine similarity
    popularity: np.ndarray            # (products,) recency-weighted purchases
    store_ids: np.ndarray             # (stores,)
    store_popularity: csr_matrix      # (stores, products)
    categories: np.ndarray            # (products,) category index, -1 unknown
    peers: csr_matrix                 # (customers, products) what customers like each one buy (recsys.peers)
    settings: ModelSettings
    interaction_settings: InteractionSettings
    counts: dict[str, int] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)   # blend weights tuned for this retailer, {} = defaults
    signals: learned_order.ProductSignals | None = None    # what the learned orders read about products
    # lightgbm.Boosters ordering never-bought and bought-before candidates (recsys.learned_order), None: the blend's
    discovery: Any = None
    repurchase: Any = None
    _product_index: dict[str, int] | None = field(default=None, repr=False, compare=False)
    _customer_index: dict[str, int] | None = field(default=None, repr=False, compare=False)
    # what the worker made for a customer with this model and reuses between their events (recsys.realtime)
    worker_memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)
    # lookups derived from the model once and shared by every ranking (see `derived`); not saved
    _derived: dict[Any, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def derived(self, name: Any, make: Callable[[], T]) -> T:
        """`make()`, computed once per artifact under `name` (ranking threads may both make it: same value)."""
        if name not in self._derived:
            self._derived[name] = make()
        return self._derived[name]  # type: ignore[no-any-return]

    def product_index(self) -> dict[str, int]:
        """product_id -> column, built once per artifact (the worker needs it for every event)."""
        if self._product_index is None:
            self._product_index = self.ids.product_index()
        return self._product_index

    def peers_of(self, customer_ids: np.ndarray) -> csr_matrix:
        """(customers, products) rows of `peers` for these customers; empty for customers trained without."""
        if self._customer_index is None:
            self._customer_index = self.ids.customer_index()
        rows = np.array([self._customer_index.get(c, -1) for c in customer_ids.tolist()], dtype=np.int64)
        picked = self.peers[np.maximum(rows, 0)] if self.peers.shape[0] else \
            csr_matrix((len(rows), self.peers.shape[1]), dtype=np.float32)
        if (rows >= 0).all():
            return csr_matrix(picked, dtype=np.float32)
        picked = csr_matrix(diags((rows >= 0).astype(np.float32)) @ picked, dtype=np.float32)
        picked.eliminate_zeros()
        return picked


def new_version(now: datetime, settings: ModelSettings) -> str:
    digest = hashlib.sha1(json.dumps(asdict(settings), sort_keys=True).encode()).hexdigest()[:6]
    now = now.astimezone(timezone.utc)
    return f"{now:%Y%m%dT%H%M%S}{now.microsecond // 1000:03d}-{digest}"


def save(artifact: Artifact, models_dir: Path) -> Path:
    """Write the artifact into its own folder, then point LATEST at it atomically."""
    models_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=models_dir, prefix=".staging-"))
    artifact.model.save(str(staging / "model.npz"))
    save_npz(staging / "neighbours.npz", artifact.neighbours)
    save_npz(staging / "store_popularity.npz", artifact.store_popularity)
    save_npz(staging / "peers.npz", artifact.peers)
    np.savez(staging / "arrays.npz", customer_ids=artifact.ids.customer_ids.astype(str),
             product_ids=artifact.ids.product_ids.astype(str), popularity=artifact.popularity,
             store_ids=artifact.store_ids.astype(str), categories=artifact.categories,
             **(artifact.signals.arrays() if artifact.signals else {}))
    for kind in learned_order.KINDS:
        if getattr(artifact, kind.name) is not None:
            (staging / f"{kind.name}.txt").write_text(learned_order.to_text(getattr(artifact, kind.name)))
    meta = {"version": artifact.version, "trained_at": artifact.trained_at, "counts": artifact.counts,
            "settings": asdict(artifact.settings), "interactions": asdict(artifact.interaction_settings),
            "weights": artifact.weights}
    (staging / "meta.json").write_text(json.dumps(meta, indent=2))
    target = models_dir / artifact.version
    os.replace(staging, target)
    _write_atomically(models_dir / LATEST, artifact.version)
    return target


def latest_version(models_dir: Path) -> str | None:
    pointer = models_dir / LATEST
    return pointer.read_text().strip() if pointer.exists() else None


def point_latest(models_dir: Path, version: str) -> None:
    """Make an existing version the latest again (a rollback); FileNotFoundError if there is no such version."""
    if not (models_dir / version / "meta.json").is_file():
        raise FileNotFoundError(f"no model version {version} under {models_dir}")
    _write_atomically(models_dir / LATEST, version)


def trained_retailers(models_root: Path) -> list[str]:
    """The retailers with a trained model under `models_root` (a `<retailer>/LATEST` each), sorted."""
    if not models_root.is_dir():
        return []
    return sorted(folder.name for folder in models_root.iterdir() if (folder / LATEST).is_file())


# A loaded model's own thread count, `c360 train --threads`, is dropped: implicit hands its count to OpenMP
# explicitly, which overrides threadpoolctl's limits, so a worker recomputing one customer (ALS recalculate_user)
# ran a team of that many threads whose spin-waits competed with Neo4j and Redis for the cores (on
# complete_journey, 2 cores: recalculate_user p99 12 ms with 2 threads, 0.8 ms with 1). With 0, OpenMP's own
# setting decides: one thread under the worker's limit (recsys.worker), every core where nothing limits it.
_SERVING_THREADS = 0


def load(models_dir: Path, version: str | None = None) -> Artifact:
    """The named (default: latest) artifact; FileNotFoundError says where none was found."""
    version = version or latest_version(models_dir)
    if version is None:
        raise FileNotFoundError(f"no trained model under {models_dir}: run `c360 train` first")
    folder = models_dir / version
    meta: dict[str, Any] = json.loads((folder / "meta.json").read_text())
    if meta.get("version") != version:      # a folder copied or renamed by hand: its lists would name another model
        raise ValueError(f"{folder / 'meta.json'} names version {meta.get('version')!r}, not its folder's "
                         f"{version!r}: save a model with `c360 train`, do not copy or rename its folder")
    settings = ModelSettings(**meta["settings"])
    with threadpool_limits(1, "blas"):
        model = CLASSES[settings.algorithm].load(str(folder / "model.npz"))
    model.num_threads = _SERVING_THREADS
    arrays = np.load(folder / "arrays.npz")
    return Artifact(
        version=meta["version"], trained_at=meta["trained_at"],
        ids=IdMaps(arrays["customer_ids"].astype(object), arrays["product_ids"].astype(object)),
        model=model, neighbours=load_npz(folder / "neighbours.npz").tocsr(),
        popularity=arrays["popularity"], store_ids=arrays["store_ids"].astype(object),
        store_popularity=load_npz(folder / "store_popularity.npz").tocsr(),
        categories=arrays["categories"], peers=_peers(folder, arrays), settings=settings,
        interaction_settings=InteractionSettings(**meta["interactions"]), counts=meta["counts"],
        weights=meta.get("weights", {}), signals=learned_order.ProductSignals.from_arrays(arrays),
        **_learned_orders(folder))


def _learned_orders(folder: Path) -> dict[str, Any]:
    """Artifact field -> the learned order's model saved in the folder, None where none was learnt."""
    paths = {kind.name: folder / f"{kind.name}.txt" for kind in learned_order.KINDS}
    return {name: learned_order.from_text(path.read_text()) if path.exists() else None for name, path in paths.items()}


def _peers(folder: Path, arrays: Any) -> csr_matrix:
    """The saved peers; an artifact from before they existed gets an empty matrix."""
    path = folder / "peers.npz"
    if path.exists():
        return load_npz(path).tocsr()
    return csr_matrix((len(arrays["customer_ids"]), len(arrays["product_ids"])), dtype=np.float32)


def _write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)


def is_item_knn(model: RecommenderBase) -> bool:
    return isinstance(model, ItemItemRecommender)
