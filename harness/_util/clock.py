"""The one clock for stored timestamps: UTC, ISO 8601, milliseconds."""

from __future__ import annotations

import datetime


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")
