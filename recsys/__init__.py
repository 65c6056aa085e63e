"""Next-best-offers: train on the graph, evaluate, precompute into Redis, update in realtime.

  interactions.py  graph or canonical files -> interaction table -> weighted CSR matrix + id maps
  model.py         implicit models (ALS default, BPR, item-kNN) and the versioned artifact on disk
  hybrid.py        the offer list: repurchase-due + collaborative discovery + popular fill, with rules
  learned_order.py LightGBM's order of the list's discovery offers and of its repurchases
  baselines.py     the methods the hybrid is judged against
  evaluate.py      next-basket and next-period protocols, ranking metrics
  keys.py          every Redis key and channel name
  offers.py        versioned offer store in Redis: write, switch, rollback, read
  precompute.py    every customer's list, similar products, popular lists -> a new version
  realtime.py      event intake (graph + stream) and the worker's one-customer recomputation
  worker.py        the stream consumer behind `c360 worker`
"""
