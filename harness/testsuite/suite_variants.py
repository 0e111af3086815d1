"""A suite's distilled graph variants: choosing them once, recording them in its manifest.

The manifest's `test_suite` section holds the seed, the base graph's fingerprint and folder
(none for the bundled demo graph) and, per chosen variant, its index and fingerprint. Variants are not stored as files: variant `i`
of seed `s` is regenerated from the base graph folder whenever it is needed, and its
fingerprint after loading must equal the recorded one, so a suite and its variants travel
together and reproduce exactly.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from .._util.files import atomic_write
from ..errors import HarnessError, InputError
from ..graph.csv_source import read_graph_folder
from ..graph.fingerprint import fingerprint
from ..graph.loader import load_graph
from ..suitegen.model import MANIFEST_FILE, Suite, open_suite
from ..suitegen.probe import gold_rows
from .audit import AuditReport, audit_golds
from .distill import VERSION, distill, gold_valid
from .guards import GUARD_INDICES
from .server import variant_server
from .variants import family_of, make_variant

SECTION = "test_suite"


def distill_suite(
    name: str,
    *,
    graph: str | None = None,
    seed: int = 0,
    candidates: int = 24,
    max_variants: int = 8,
    split: str | None = "test",
    server: str = "scratch",
    backend: str | None = None,
    progress=None,
) -> dict:
    """Audit the suite's golds on the base graph, distill variants, record them in the manifest."""
    suite = open_suite(name)
    base = read_graph_folder(graph)
    expected = suite.manifest.get("graph_fingerprint")
    items = list(suite.items(split=split))
    if not items:
        raise InputError(f"suite {suite.name!r} has no {split or ''} items".replace("  ", " "))
    with variant_server(server, base, expected or "", backend, progress) as driver:
        if server == "scratch":
            load_graph(driver, base, replace=True)
            if fingerprint(driver) != expected:
                raise InputError(
                    f"{base.source} is not the graph suite {suite.name!r} was generated from "
                    "(fingerprints differ): pass its folder with --graph"
                )
        if progress:
            progress(f"auditing {len(items)} items on the base graph")
        started = time.monotonic()
        golds = audit_golds(driver, [item.cypher for item in items])
        audit = AuditReport(suite.name, items, golds, time.monotonic() - started)
        if progress:
            progress(f"audit: {audit.totals()} in {audit.elapsed_s:.0f}s")
        result = distill(
            driver, base, golds, seed=seed, candidates=candidates, max_variants=max_variants, progress=progress
        )
        guards, refused = guard_variants(driver, base, seed, list(golds), progress)
        result["variants"] = [*result["variants"], *guards]
        result["guards_refused"] = refused
    result["audit"] = {
        "totals": audit.totals(),
        "templates": audit.template_rows(),
        "elapsed_s": round(audit.elapsed_s, 1),
    }
    result["split"] = split or "all"
    result["graph_source"] = None if graph is None else str(Path(graph).resolve())
    record_variants(suite, result, expected)
    return result


def guard_variants(driver, base, seed: int, golds: list[str], progress=None) -> tuple[list[dict], list[str]]:
    """The filter guards (guards.py) under which every gold stays valid, as manifest entries, and
    the ids of those refused (a gold that errs, passes the row cap or is cut at its LIMIT there)."""
    kept: list[dict] = []
    refused: list[str] = []
    for index in GUARD_INDICES:
        load_graph(driver, make_variant(base, seed, index), replace=True)
        rows = gold_rows(driver, golds)
        valid = all(gold_valid(cypher, result) for cypher, result in rows.items())
        entry: dict = {"id": f"v{index}", "index": index, "fingerprint": fingerprint(driver)}
        if progress:
            progress(f"guard {entry['id']} ({family_of(index)}): {'kept' if valid else 'refused: a gold is invalid'}")
        if valid:
            kept.append(entry)
        else:
            refused.append(entry["id"])
    return kept, refused


def add_guards(name: str, *, graph: str | None = None, server: str = "scratch", backend=None, progress=None) -> dict:
    """Add the filter guards to the variants a suite's manifest records, without distilling again
    (the recorded variants and figures stay as they are; a later `suite distill` adds them too)."""
    suite = open_suite(name)
    section = dict(recorded_variants(suite))
    base = read_graph_folder(graph or section.get("graph_source"))
    items = list(suite.items(split=None if section.get("split") == "all" else section.get("split")))
    golds = list(dict.fromkeys(item.cypher for item in items))
    with variant_server(server, base, section["base_fingerprint"], backend, progress) as driver:
        if server == "scratch":
            load_graph(driver, base, replace=True)
        guards, refused = guard_variants(driver, base, section["seed"], golds, progress)
    recorded = {variant["index"] for variant in section["variants"]}
    section["variants"] = [*section["variants"], *(g for g in guards if g["index"] not in recorded)]
    manifest = {**suite.manifest, SECTION: section}
    atomic_write(
        suite.folder / MANIFEST_FILE, json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )
    return {"suite": suite.name, "added": [g["id"] for g in guards], "refused": refused}


def record_variants(suite: Suite, result: dict, base_fingerprint: str | None) -> None:
    manifest = dict(suite.manifest)
    manifest[SECTION] = {
        "version": VERSION,
        "seed": result["seed"],
        "split": result["split"],
        "base_fingerprint": base_fingerprint,
        "graph_source": result.get("graph_source"),  # None: the bundled demo graph
        "candidates": len(result["candidates"]),
        "variants": result["variants"],
        "base_survivors": result["survivors"],
        "killed": result["killed"],
        "equivalent": result["equivalent"],
    }
    atomic_write(
        suite.folder / MANIFEST_FILE, json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )
    suite.manifest = manifest


def recorded_variants(suite: Suite) -> dict:
    section = suite.manifest.get(SECTION)
    if not section or not section.get("variants"):
        raise HarnessError(
            f"suite {suite.name!r} has no distilled graph variants: run `harness suite distill {suite.name}` first"
        )
    return section
