"""Adapter names to classes; back ends with heavy dependencies are imported on first use."""

from __future__ import annotations

import importlib

from ..errors import ModelUnavailable

ADAPTERS = {
    "gold": "harness.adapters.gold:GoldAdapter",
    "replay": "harness.adapters.replay:ReplayAdapter",
    "llama_cpp": "harness.adapters.llama_worker:WorkerLlamaCpp",
    "gemini": "harness.adapters.gemini:GeminiAdapter",
    "endpoint": "harness.adapters.endpoint:EndpointAdapter",
    "retrieval": "harness.adapters.retrieval:RetrievalAdapter",
}


def adapter_class(name: str):
    target = ADAPTERS.get(name)
    if not target:
        raise ModelUnavailable(f"unknown adapter {name!r}: choose one of {', '.join(sorted(ADAPTERS))}")
    module, attribute = target.split(":")
    return getattr(importlib.import_module(module), attribute)
