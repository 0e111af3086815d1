"""Where graph variants get loaded, and how the base graph comes back afterwards.

Neo4j Community holds one user database, so variants are loaded in turn into one server:
- `scratch` (default): a server of our own (jvm backend), started for the command and
  stopped after it; the user's server is never touched, so there is nothing to restore.
  After `kill -9` the scratch JVM exits on its own (it watches its stdin pipe).
- `current`: the server the other commands use. Before the first variant is loaded a
  marker file `$HARNESS_HOME/variant-loaded.json` records the base graph folder and
  fingerprint; when the command ends, normally, by an error or by Ctrl-C, the base graph
  is reloaded (`--replace`), its fingerprint checked and the marker removed. After a crash
  (`kill -9`, power loss) the marker stays, and the next test-suite command restores the
  base graph before anything else (or run `harness graph load --source DIR --replace`).
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path

from ..errors import HarnessError
from ..graph import provision
from ..graph.csv_source import GraphData, read_graph_folder
from ..graph.driver import open_driver
from ..graph.fingerprint import fingerprint
from ..graph.loader import load_graph
from ..paths import home_dir

MODES = ("scratch", "current")
MARKER = "variant-loaded.json"


def marker_path() -> Path:
    return home_dir() / MARKER


def restore_if_needed(driver, uri: str, progress=None) -> bool:
    """Reload the base graph a crashed test-suite command left replaced by a variant."""
    path = marker_path()
    if not path.exists():
        return False
    record = json.loads(path.read_text())
    if record.get("uri") != uri:
        return False
    if progress:
        progress(f"restoring the base graph from {record['source']} (a test-suite run was interrupted)")
    _restore(driver, record)
    return True


def _restore(driver, record: dict) -> None:
    load_graph(driver, read_graph_folder(record["source"]), replace=True)
    now = fingerprint(driver)
    if now != record["fingerprint"]:
        raise HarnessError(
            f"restored graph from {record['source']} has fingerprint {now[:12]}, not the base's "
            f"{record['fingerprint'][:12]}: load the base graph with `harness graph load --replace`"
        )
    marker_path().unlink(missing_ok=True)


@contextmanager
def variant_server(mode: str, base: GraphData, base_fingerprint: str, backend: str | None = None, progress=None):
    """A driver to a server that variants may be loaded into; the base graph is safe afterwards."""
    if mode not in MODES:
        raise HarnessError(f"unknown variant server {mode!r} (choose {', '.join(MODES)})")
    if mode == "scratch":
        chosen = provision.choose_backend(backend)
        with provision.ephemeral("jvm" if chosen == "uri" else chosen) as instance:
            driver = open_driver(instance)
            try:
                yield driver
            finally:
                driver.close()
        return
    instance = provision.current(backend)
    driver = open_driver(instance)
    try:
        restore_if_needed(driver, instance.uri, progress)
        live = fingerprint(driver)
        if live != base_fingerprint:
            raise HarnessError(
                f"the current server's graph ({live[:12]}) is not the suite's base graph ({base_fingerprint[:12]})"
            )
        record = {"uri": instance.uri, "source": base.source, "fingerprint": base_fingerprint, "pid": os.getpid()}
        marker_path().parent.mkdir(parents=True, exist_ok=True)
        marker_path().write_text(json.dumps(record))
        try:
            yield driver
        finally:
            driver.close()
            if progress:
                progress("restoring the base graph")
            # A fresh driver: an interrupt may have left a pooled connection of the old one half-read.
            with open_driver(instance) as fresh:
                _restore(fresh, record)
    finally:
        driver.close()


def restore_before_run(mode: str, backend: str | None = None, progress=None) -> bool:
    """Before a `--test-suite` run: put back a base graph that a killed earlier one left replaced."""
    if mode != "current" or not marker_path().exists():
        return False
    instance = provision.current(backend)
    driver = open_driver(instance)
    try:
        return restore_if_needed(driver, instance.uri, progress)
    finally:
        driver.close()
