"""Canonical rows of service cases and their notes."""

from __future__ import annotations

from typing import Any

from loaders.context import Context
from loaders.customers import CHANNELS
from loaders.rows import choice, moment, need, text


def parse_service_case(row: dict[str, str], ctx: Context) -> dict[str, Any]:
    """service_cases.csv: case_id, customer_id, opened_at, channel_id, subject, status, order_id."""
    props = {"opened_at": moment(row, "opened_at", ctx.zone(), required=True), "subject": text(row, "subject"),
             "status": text(row, "status") or "open"}
    return {"case_id": need(row, "case_id"), "customer_id": need(row, "customer_id"),
            "channel_id": choice(row, "channel_id", CHANNELS), "order_id": text(row, "order_id"), "props": props}


def parse_service_note(row: dict[str, str], ctx: Context) -> dict[str, Any]:
    """service_notes.csv: note_id, case_id, at, author, text."""
    props = {"at": moment(row, "at", ctx.zone(), required=True), "author": text(row, "author"),
             "text": text(row, "text")}
    return {"note_id": need(row, "note_id"), "case_id": need(row, "case_id"), "props": props}
