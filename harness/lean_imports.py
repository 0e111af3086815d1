"""Imports that skip optional dependencies the harness never uses, for a faster start-up.

The neo4j driver and sqlite-utils each import numpy if it is installed, only to accept
numpy-typed values as query parameters or column values; the harness never passes any,
and importing numpy costs about 0.1 s of CPU (a quarter of `harness run`'s start-up on
a 2-core machine). Within `without_numpy()` an import of numpy fails as if it were not
installed; afterwards numpy imports as usual (llama.cpp and plotting load it when used).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def without_numpy() -> Iterator[None]:
    """Modules first imported inside see numpy as absent (a no-op if numpy is loaded already)."""
    if "numpy" in sys.modules:
        yield
        return
    sys.modules["numpy"] = None  # type: ignore[assignment]  # makes `import numpy` raise ImportError
    try:
        yield
    finally:
        if sys.modules.get("numpy", 0) is None:
            del sys.modules["numpy"]
