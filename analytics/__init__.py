"""Customer analytics: RFM, value tiers, lifecycle stages, predicted value and replenishment, kept on the graph.

recompute(graph)                   full run over every retailer (`c360 analytics`)
refresh_customer(graph, id)        one customer after a purchase, against the last full run's boundaries
This package imports graph/ only; the Cypher it needs lives in graph/analytics.py, graph/audiences.py and
graph/segments.py.
"""

from analytics.recompute import recompute, refresh_customer

__all__ = ["recompute", "refresh_customer"]
