#!/usr/bin/env python3
"""Measure the HTML report of a full demo evaluation: file size, build time, load time and filter
time in the system Chromium (headless, driven by Playwright), and optionally save a screenshot.

Starts its own Neo4j (jvm backend) with the demo graph and evaluates, through the real CLI, over
the demo suite's test split: `gold`, `retrieval`, and two `replay` models whose outputs are the gold
queries with seeded, realistic faults (misspelt keywords, wrong entities, unknown labels, prose
around the query, no query, long reasoning), so that every outcome and mismatch reason appears.
Prints medians over the page loads.

    .venv/bin/python scripts/bench_html_report.py [--loads 5] [--screenshot docs/report.png]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.graph import provision
from harness.graph.csv_source import read_graph_folder
from harness.graph.driver import open_driver
from harness.graph.loader import load_graph
from harness.report.chromium import HEADLESS_ARGS, system_chromium
from harness.suitegen.model import open_suite

ROOT = Path(__file__).resolve().parent.parent


def faulty(cypher: str, rng: random.Random, rates: dict[str, float]) -> str:
    """The gold query with at most one fault, drawn with the given rates (the rest: fenced gold)."""
    fault = rng.choices([*rates, "fenced"], [*rates.values(), 1 - sum(rates.values())])[0]
    if fault == "fenced":
        return f"```cypher\n{cypher}\n```"
    if fault == "typo":
        return cypher.replace("RETURN", "RETRN", 1)
    if fault == "entity":  # another name in the first string literal: wrong rows
        return re.sub(r"'([^']+)'", lambda m: f"'{m.group(1)[::-1]}'", cypher, count=1)
    if fault == "label":
        return cypher.replace(":Therapy", ":Drug", 1)
    if fault == "limit":
        return re.sub(r"LIMIT \d+", "LIMIT 1", cypher)
    if fault == "prose":
        return f"Here is the query you asked for:\n```\n{cypher}\n```\nIt returns the matching names."
    if fault == "think":
        return f"<think>The user asks about a gene; I need MATCH and RETURN.</think>\n{cypher}"
    return "I cannot answer that from the schema."


MODELS = {
    "noisy": {"typo": 0.08, "entity": 0.10, "label": 0.05, "limit": 0.05, "none": 0.03, "prose": 0.2},
    "sloppy": {"typo": 0.15, "entity": 0.15, "label": 0.10, "limit": 0.10, "none": 0.05, "think": 0.2},
}


def cli(env: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "harness.cli.main", *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"harness {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def evaluate(tmp: Path, uri: str) -> Path:
    """A results database with four runs over the demo test split."""
    suite = open_suite("demo")
    test_items = list(suite.items("test"))
    models = tmp / "models"
    models.mkdir()
    for name in ("retrieval.toml",):
        shutil.copy(ROOT / "models" / name, models / name)
    for index, (name, rates) in enumerate(MODELS.items()):
        rng = random.Random(index)
        lines = [json.dumps({"id": item.id, "output": faulty(item.cypher, rng, rates)}) for item in test_items]
        (models / f"{name}.jsonl").write_text("\n".join(lines) + "\n")
        (models / f"{name}.toml").write_text(
            f'adapter = "replay"\ndescription = "gold with seeded faults"\n[options]\nfile = "{models / name}.jsonl"\n'
        )
    db = tmp / "results.db"
    env = {**os.environ, "HARNESS_NEO4J": "uri", "NEO4J_URI": uri, "HARNESS_DB": str(db)}
    env["HARNESS_MODELS_DIR"] = str(models)
    for model in ("gold", "retrieval", *MODELS):
        started = time.perf_counter()
        cli(env, "run", "--model", model, "--suite", str(suite.folder), "--quiet")
        print(f"ran {model} on {len(test_items)} items in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return db


def measure(html: Path, loads: int, screenshot: Path | None) -> dict:
    from playwright.sync_api import sync_playwright

    chromium = system_chromium()
    if not chromium:
        sys.exit("no system Chromium: run `make browser`")
    ready, failed_filter, text_filter, open_item, errors = [], [], [], [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=HEADLESS_ARGS)
        for _ in range(loads):
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(html.as_uri())
            page.wait_for_selector("body[data-ready='1']", timeout=60000)
            ready.append(float(page.get_attribute("body", "data-ready-ms")))
            # synchronous time of one filter change and one item opening, each redrawing the page
            failed_filter.append(
                page.evaluate(
                    """() => { const s = document.getElementById('f-outcome'), t0 = performance.now();
                    s.value = '@failed'; s.dispatchEvent(new Event('change'));
                    document.body.offsetHeight; return performance.now() - t0; }"""
                )
            )
            text_filter.append(
                page.evaluate(
                    """() => { const s = document.getElementById('f-outcome'), t0 = performance.now();
                    s.value = ''; s.dispatchEvent(new Event('change'));
                    const r = document.getElementById('f-reason'); r.value = 'missing_rows';
                    r.dispatchEvent(new Event('change'));
                    document.body.offsetHeight; return performance.now() - t0; }"""
                )
            )
            open_item.append(
                page.evaluate(
                    """() => { const t0 = performance.now();
                    document.querySelector('#item-list tbody tr').click();
                    document.body.offsetHeight; return performance.now() - t0; }"""
                )
            )
            if screenshot and _ == loads - 1:
                take_screenshot(page, screenshot)
            page.close()
        browser.close()
    return {
        "ready_ms": ready,
        "filter_ms": failed_filter,
        "two_filters_ms": text_filter,
        "open_item_ms": open_item,
        "errors": errors,
    }


def take_screenshot(page, path: Path) -> None:
    """The item browser with one wrong result of the retrieval baseline open (palette PNG, to stay small)."""
    page.select_option("#f-reason", label="all")
    page.select_option("#f-model", label="retrieval")
    page.select_option("#f-outcome", label="wrong_result")
    page.click("#item-list tbody tr >> nth=2")
    top, height = page.evaluate(
        "() => { const r = document.getElementById('items').getBoundingClientRect();"
        " return [r.top + window.scrollY, r.height]; }"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=str(path), full_page=True, clip={"x": 0, "y": top - 8, "width": 1280, "height": min(height, 1300)}
    )
    try:
        from PIL import Image

        Image.open(path).convert("RGB").quantize(colors=64).save(path, optimize=True)
    except ImportError:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--screenshot", type=Path, default=None, help="Also save a PNG of the item browser here.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        os.environ.setdefault("HARNESS_HOME", str(tmp))
        with provision.ephemeral("jvm") as instance:
            driver = open_driver(instance)
            load_graph(driver, read_graph_folder(), replace=True)
            driver.close()
            db = evaluate(tmp, instance.uri)
        html = tmp / "report.html"
        env = {**os.environ, "HARNESS_DB": str(db)}
        builds = []
        for _ in range(3):
            started = time.perf_counter()
            cli(env, "report", "--format", "html", "-o", str(html))
            builds.append(time.perf_counter() - started)
        summary = cli(env, "report", "--format", "json")
        items = sum(run["n_recorded"] for run in json.loads(summary)["runs"])
        figures = measure(html, args.loads, args.screenshot)
        size = html.stat().st_size
        zipped = len(gzip.compress(html.read_bytes()))
    print(f"runs: gold, retrieval, {', '.join(MODELS)}; {items} items in the report")
    print(f"file size: {size / 1024:.0f} KiB ({size} bytes); gzip -9: {zipped / 1024:.0f} KiB")
    print(f"`harness report --format html` wall time, whole process: median {statistics.median(builds):.2f} s of 3")
    for key, label in (
        ("ready_ms", "load to fully drawn (navigation start -> ready)"),
        ("filter_ms", "outcome filter change, redraw"),
        ("two_filters_ms", "two more filter changes, redraw"),
        ("open_item_ms", "open one item (diff, rows)"),
    ):
        values = figures[key]
        print(f"{label:<50} median {statistics.median(values):7.1f} ms (min {min(values):.1f}, max {max(values):.1f})")
    print(f"page errors: {len(figures['errors'])}")
    if args.screenshot:
        print(f"screenshot: {args.screenshot} ({args.screenshot.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
