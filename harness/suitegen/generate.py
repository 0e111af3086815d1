"""Generating a suite from the loaded graph: sample entities, run golds, split, word.

Splits are assigned to groups before their paraphrases and synonym variants are worded,
because a group's split decides which wordings it may use: held-out wordings (the last
`heldout_wordings` of each template) appear only in test questions (see `wording`).

Determinism: every random choice comes from `random.Random` seeded with the seed and the
template id (so adding a template does not reshuffle the others), always applied to
sorted inputs; gold expectations come from the graph. Same graph and seed, same bytes.
"""

from __future__ import annotations

import itertools
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..cypher.scan import final_limit
from ..errors import HarnessError, InputError
from ..graph import service
from ..graph.fingerprint import fingerprint
from ..names import plain_name
from .catalog import all_templates
from .discriminating import filters_matter
from .gold import WORKERS, GoldError, GoldRunner, expectation
from .io import refuse_to_replace, write_suite
from .model import SuiteItem, suites_root
from .snapshot import read_snapshot
from .split import assign_splits, choose_holdout
from .templates import Template
from .wording import SynonymIndex, base_item, group_items, heldout_wordings, normalize_question

GENERATOR_VERSION = "3"
# More base questions per template than any template has entities only makes sampling slower.
MAX_GROUPS = 1000


@dataclass(frozen=True)
class Options:
    seed: int = 0
    groups_per_template: int = 16
    paraphrases: int = 2
    synonym_variants: int = 2
    test_fraction: float = 0.4
    holdout_fraction: float = 0.0
    heldout_wordings: int = 2  # per template, the last N wordings are used in test questions only
    # of a template's groups, for templates that propose negatives; 0 by default, as an empty
    # answer matches an empty gold, so a guess would score such items correct
    empty_share: float = 0.0


def _acceptable(rows: list[dict], cypher: str, ordered: bool, want_empty: bool) -> bool:
    if want_empty:
        return not rows
    if not rows or all(value is None or value == [] for row in rows for value in row.values()):
        return False
    limit = final_limit(cypher)
    return ordered or limit is None or len(rows) < limit


def _sample(
    template: Template,
    candidates: list[dict],
    count: int,
    rng: random.Random,
    runner: GoldRunner,
    want_empty: bool = False,
) -> list[tuple[dict, str, dict]]:
    """Up to `count` (placeholders, cypher, gold) whose gold is non-empty and not cut by LIMIT
    (or empty, for deliberate negatives), preferring those whose every filter changes the answer."""
    pool = list(candidates)
    rng.shuffle(pool)
    chosen: list[tuple[dict, str, dict]] = []
    fallback: list[tuple[dict, str, dict]] = []
    for placeholders in pool[: max(40, 6 * count)]:
        if len(chosen) == count:
            break
        cypher = template.cypher(placeholders)
        try:
            rows = runner.rows(cypher)
        except GoldError as exc:
            raise HarnessError(f"template {template.id}: gold query failed for {placeholders}: {exc}") from None
        if _acceptable(rows, cypher, template.ordered, want_empty):
            entry = (placeholders, cypher, expectation(rows, cypher))
            (chosen if want_empty or filters_matter(runner, cypher, rows) else fallback).append(entry)
    return chosen + fallback[: count - len(chosen)]


def _sample_template(template: Template, snap, options: Options, driver) -> tuple[list, random.Random]:
    """One template's groups (placeholders, cypher, gold), with the RNG to word them with."""
    rng = random.Random(f"{options.seed}:{template.id}")
    negatives = template.negatives(snap) if template.negatives else []
    n_empty = (
        max(1, round(options.empty_share * options.groups_per_template)) if negatives and options.empty_share else 0
    )
    with GoldRunner(driver) as runner:
        groups = _sample(template, template.candidates(snap), options.groups_per_template - n_empty, rng, runner)
        groups += _sample(template, negatives, n_empty, rng, runner, want_empty=True)
    return groups, rng


def generate(driver, name: str = "demo", options: Options = Options(), progress=None) -> tuple[list[SuiteItem], dict]:
    """All items (with gold and split) and the manifest (without counts, which writing adds).

    Templates are sampled in parallel (each with its own RNG and session), then worded in
    template order, so the result does not depend on thread timing."""
    snap = read_snapshot(driver)
    synonyms = SynonymIndex(snap)
    templates = all_templates()
    finished = itertools.count(1)

    def sample(template: Template):
        result = _sample_template(template, snap, options, driver)
        if progress:  # sampling is the slow part: say how far it is
            progress(f"sampled {template.id} ({next(finished)}/{len(templates)} templates)")
        return result

    with ThreadPoolExecutor(WORKERS, thread_name_prefix="template") as pool:
        sampled = list(pool.map(sample, templates))
    # Base questions first (a base question another template already asked is dropped), so
    # that splits can be assigned per group before the group is worded.
    bases: list[tuple[Template, random.Random, SuiteItem, dict]] = []
    seen: set[str] = set()
    for template, (groups, rng) in zip(templates, sampled):
        for number, (placeholders, cypher, gold) in enumerate(groups, 1):
            base = base_item(template, placeholders, cypher, f"{template.code}-{number:03d}")
            key = normalize_question(base.question)
            if key not in seen:
                seen.add(key)
                bases.append((template, rng, base, gold))
    split_rng = random.Random(f"{options.seed}:split")
    base_items = [base for _, _, base, _ in bases]
    holdout = choose_holdout(base_items, options.holdout_fraction, split_rng)
    assign_splits(base_items, split_rng, test_fraction=options.test_fraction, holdout=holdout)

    items: list[SuiteItem] = []
    seen = set()
    kept: dict[str, int] = {t.id: 0 for t in templates}
    for template, rng, base, gold in bases:
        members = group_items(
            template,
            base.placeholders,
            base.cypher,
            base.id,
            rng,
            synonyms,
            paraphrases=options.paraphrases,
            synonym_variants=options.synonym_variants,
            split=base.split,
            heldout=heldout_wordings(template, options.heldout_wordings),
        )
        if normalize_question(members[0].question) in seen:
            continue  # the base question is another template's paraphrase: keep the first
        kept[template.id] += 1
        for member in members:
            key = normalize_question(member.question)
            if key not in seen:
                seen.add(key)
                member.gold = dict(gold)
                member.split = base.split
                items.append(member)
    template_rows = [
        {
            "id": t.id,
            "code": t.code,
            "family": t.family,
            "wordings": len(t.wordings),
            "heldout_wordings": list(heldout_wordings(t, options.heldout_wordings)),
            "groups": kept[t.id],
        }
        for t in templates
    ]
    if progress:
        for row in template_rows:
            progress(f"{row['id']}: {row['groups']} groups")
    manifest = {
        "name": name,
        "generator": "harness.suitegen",
        "generator_version": GENERATOR_VERSION,
        "seed": options.seed,
        "graph_fingerprint": fingerprint(driver),
        "options": {k: getattr(options, k) for k in Options.__dataclass_fields__ if k != "seed"},
        "holdout_entities": holdout,
        "templates": template_rows,
    }
    return items, manifest


def generate_suite(
    name: str = "demo",
    out=None,
    options: Options = Options(),
    backend: str | None = None,
    progress=None,
    force: bool = False,
):
    """Generate from the current Neo4j's graph and write `suites/<name>/` (or `out`) atomically;
    an existing suite is replaced only with `force`."""
    folder = Path(out) if out else suites_root() / plain_name(name, "suite name")
    refuse_to_replace(folder, force)
    if not 1 <= options.groups_per_template <= MAX_GROUPS:
        raise InputError(f"groups per template must be between 1 and {MAX_GROUPS}, not {options.groups_per_template}")
    with service.connected(backend) as (_, driver):
        items, manifest = generate(driver, name, options, progress)
    return write_suite(folder, items, manifest)
