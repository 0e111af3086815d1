"""An adapter whose optional dependency is never installed: the harness must say how to install it."""

from __future__ import annotations

import harness_echo_missing_dependency  # type: ignore[import-not-found]  # noqa: F401

from harness.adapters.base import Adapter


class HeavyAdapter(Adapter):
    name = "echo_heavy"
