"""Loaders: the canonical import format and adapters for real data sets, writing through graph/.

  rows.py        where a row came from (RowRef), why it was rejected (Rejected), typed field parsers
  report.py      per-file counts (FileStats, LoadSummary), rejects files, progress bars
  batches.py     batched writes on a background thread; rows referring to missing nodes are rejected
  canonical.py   `load_dir`: one CSV per kind (see README), parsed by customers/products/stores/orders/
                 events/campaigns/service_cases.py
  complete_journey.py, online_retail.py   adapters for the two real data sets
  synthetic/     building blocks of `c360 generate` (pure, no graph access)
"""
