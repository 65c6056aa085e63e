"""Sales and contact channels; the six known ones always exist."""

from __future__ import annotations

from typing import Any

from graph.driver import Graph
from graph.writes import write_rows

CHANNELS: dict[str, str] = {
    "pos": "Store till",
    "web": "Webshop",
    "kiosk": "In-store kiosk",
    "app": "Mobile app",
    "service_desk": "Service desk",
    "third_party": "Third-party platform",
}

UPSERT_CHANNELS = """
UNWIND $rows AS row
MERGE (c:Channel {channel_id: row.channel_id})
SET c.name = row.name
RETURN count(*) AS written
"""


def upsert_channels(graph: Graph, rows: list[dict[str, Any]]) -> int:
    """Create or update channels {channel_id, name}."""
    return write_rows(graph, UPSERT_CHANNELS, rows)


def ensure_channels(graph: Graph) -> int:
    """Make sure the six known channels exist."""
    return upsert_channels(graph, [{"channel_id": k, "name": v} for k, v in CHANNELS.items()])
