"""What the `graph` commands do, as library calls: load a folder, describe the graph."""

from __future__ import annotations

from contextlib import contextmanager

from . import provision
from .csv_source import read_graph_folder
from .driver import open_driver, server_version
from .fingerprint import fingerprint
from .loader import graph_counts, load_graph


@contextmanager
def connected(backend: str | None = None):
    instance = provision.current(backend)
    driver = open_driver(instance)
    try:
        yield instance, driver
    finally:
        driver.close()


def load(source=None, *, replace: bool = False, backend: str | None = None) -> dict:
    data = read_graph_folder(source)  # every check happens before the database is touched
    with connected(backend) as (_, driver):
        counts = load_graph(driver, data, replace=replace)
        return {"source": data.source, "counts": counts, "fingerprint": fingerprint(driver), "notes": data.notes}


def info(backend: str | None = None) -> dict:
    with connected(backend) as (instance, driver):
        return {
            "uri": instance.uri,
            "backend": instance.backend,
            "neo4j_version": server_version(driver),
            **graph_counts(driver),
            "fingerprint": fingerprint(driver),
        }
