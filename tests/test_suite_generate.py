"""Suite generation on the bundled demo graph: determinism, coverage, wording, splits, golds."""

from __future__ import annotations

import json
import random
import re
from collections import Counter, defaultdict
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from harness.cli.main import cli
from harness.cypher.scan import final_limit, split_top_level, totally_ordered
from harness.graph.csv_source import read_graph_folder
from harness.graph.fingerprint import fingerprint
from harness.graph.loader import load_graph
from harness.suitegen.catalog import all_templates
from harness.suitegen.generate import Options, generate
from harness.suitegen.gold import GoldRunner
from harness.suitegen.io import write_suite
from harness.suitegen.lint import lint_items
from harness.suitegen.model import FAMILIES, open_suite
from harness.suitegen.snapshot import read_snapshot
from harness.suitegen.split import entity_values
from harness.suitegen.templates import Template
from harness.suitegen.wording import SynonymIndex, group_items, heldout_wordings, normalize_question

COMMITTED = Path(__file__).resolve().parents[1] / "suites" / "demo"
TINY_GRAPH = Path(__file__).parent / "fixtures" / "tiny_graph"


@pytest.fixture(scope="module")
def demo_suite(neo4j_driver, tmp_path_factory):
    """The default suite generated from the demo graph, written once for this module."""
    items, manifest = generate(neo4j_driver, "demo", Options())
    return write_suite(tmp_path_factory.mktemp("suites") / "demo", items, manifest)


@pytest.fixture(scope="module")
def items(demo_suite):
    return list(demo_suite.items(split=None))


def test_generate_twice_gives_byte_identical_files_equal_to_the_committed_suite(demo_suite, use_neo4j, tmp_path):
    result = CliRunner().invoke(
        cli, ["suite", "generate", "--name", "demo", "--seed", "0", "--out", str(tmp_path / "again")]
    )
    assert result.exit_code == 0, result.output
    for name in ("items.jsonl", "manifest.json"):
        fresh = (tmp_path / "again" / name).read_bytes()
        assert fresh == (demo_suite.folder / name).read_bytes(), name
        committed = (COMMITTED / name).read_bytes()
        if name == "manifest.json":  # less the distilled graph variants `harness suite distill` records
            manifest = json.loads(committed)
            manifest.pop("test_suite", None)
            committed = (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
        assert fresh == committed, f"suites/demo/{name} is stale: run `harness suite generate --force`"


def test_another_seed_samples_other_questions(neo4j_driver, items):
    other, _ = generate(neo4j_driver, "demo", Options(seed=1, groups_per_template=3))
    assert {i.question for i in other} - {i.question for i in items}


def test_manifest_records_fingerprint_counts_and_templates(demo_suite, items, demo_fingerprint):
    manifest = demo_suite.manifest
    assert manifest["graph_fingerprint"] == demo_fingerprint
    assert manifest["seed"] == 0 and manifest["generator_version"]
    assert manifest["n_items"] == len(items)
    per_family = Counter((i.family_id, i.split) for i in items)
    assert manifest["counts"]["families"] == {
        f: {"train": per_family[(f, "train")], "test": per_family[(f, "test")]} for f in FAMILIES
    }
    assert {t["id"] for t in manifest["templates"]} == {t.id for t in all_templates()}
    assert not re.search(r"\d{4}-\d\d-\d\dT", (demo_suite.folder / "manifest.json").read_text())  # no timestamps


def test_every_family_and_template_is_covered_with_at_least_600_test_items(items):
    templates = all_templates()
    assert len(templates) >= 20
    assert {t.family for t in templates} == set(FAMILIES)
    assert sum(i.split == "test" for i in items) >= 600
    for split in ("train", "test"):
        assert {i.template_id for i in items if i.split == split} == {t.id for t in templates}, split
    assert len({i.id for i in items}) == len(items)


def test_groups_never_straddle_the_split(items):
    splits = defaultdict(set)
    for item in items:
        splits[item.group_id].add(item.split)
        if item.paraphrase_of:
            assert item.paraphrase_of == item.group_id
    assert all(len(s) == 1 for s in splits.values())
    by_cypher = defaultdict(set)
    for item in items:
        by_cypher[item.cypher].add(item.split)
    assert all(len(s) == 1 for s in by_cypher.values())


def test_holding_out_entities_keeps_them_out_of_training(use_neo4j, tmp_path):
    out = tmp_path / "held"
    result = CliRunner().invoke(
        cli, ["suite", "generate", "--out", str(out), "--groups", "4", "--holdout-fraction", "0.15"]
    )
    assert result.exit_code == 0, result.output
    suite = open_suite(str(out))
    held = set(suite.manifest["holdout_entities"])
    assert held
    items = list(suite.items(split=None))
    assert not any(entity_values(i) & held for i in items if i.split == "train")
    assert any(entity_values(i) & held for i in items if i.split == "test")


def test_every_template_gold_runs_on_the_demo_graph_and_most_are_non_empty(neo4j_driver, items):
    snap = read_snapshot(neo4j_driver)
    with GoldRunner(neo4j_driver) as runner:
        for template in all_templates():
            candidates = template.candidates(snap)
            assert candidates, template.id
            for placeholders in candidates[:3]:
                runner.rows(template.cypher(placeholders))  # raises GoldError on any failure
    empty = [i for i in items if i.gold["empty"]]
    assert len(empty) <= 0.03 * len(items)
    for template, count in Counter(i.template_id for i in items).items():
        assert sum(not i.gold["empty"] for i in items if i.template_id == template) >= 0.8 * count, template


def test_gold_expectations_follow_the_house_style(items):
    for item in items:
        gold, cypher = item.gold, item.cypher
        assert set(gold) >= {"row_count", "result_hash", "ordered", "empty"}
        assert gold["empty"] == (gold["row_count"] == 0)
        assert gold["ordered"] == totally_ordered(cypher)
        limit = final_limit(cypher)
        assert limit is not None, item.id
        assert gold["ordered"] or gold["row_count"] < limit, item.id
        assert "toLower(" in cypher
        assert all(m.startswith("any(s IN coalesce(") for m in re.findall(r"any\([^)]*\(", cypher)), item.id
        returned = cypher.rsplit("RETURN", 1)[1].split("\n")[0].replace("DISTINCT", "")
        assert all(" AS " in column for column in split_top_level(returned)), item.id
    assert {i.template_id for i in items if i.gold["ordered"]} == {"f5_3_top_genes_by_evidence_in_disease"}


def test_synonyms_appear_in_questions_but_never_in_gold_cypher(items):
    synonym_items = [i for i in items if i.source == "synonym"]
    assert len(synonym_items) >= 0.2 * len(items)
    kinds = Counter()
    for item in synonym_items:
        for slot, synonym in item.extra["synonyms"].items():
            assert synonym in item.question
            assert synonym.lower() not in item.cypher.lower()
            assert item.placeholders[slot].lower() != synonym.lower()
            kinds[slot.split("_")[0]] += 1
    assert {"gene", "therapy", "disease", "variant"} <= set(kinds)
    base = {i.group_id: i for i in items if i.source == "base"}
    for item in items:
        assert item.cypher == base[item.group_id].cypher
        assert item.source in ("base", "paraphrase", "synonym")
    assert sum(i.source == "paraphrase" for i in items) >= len(base)


def test_questions_are_unique(items):
    questions = Counter(" ".join(i.question.casefold().split()).rstrip("?.! ") for i in items)
    assert questions.most_common(1)[0][1] == 1


def test_committed_demo_suite_is_in_the_repository():
    manifest = json.loads((COMMITTED / "manifest.json").read_text())
    assert manifest["name"] == "demo" and manifest["counts"]["splits"]["test"] >= 600
    assert (COMMITTED / "items.jsonl").stat().st_size < 5_000_000


def test_generation_works_on_another_graph(scratch_driver):
    """A user's own (here: tiny) graph: fewer candidates, still a clean suite, no crash."""
    load_graph(scratch_driver, read_graph_folder(TINY_GRAPH), replace=True)
    items, manifest = generate(scratch_driver, "tiny", Options(groups_per_template=2))
    assert manifest["graph_fingerprint"] == fingerprint(scratch_driver)
    assert {i.family_id for i in items} >= {"F1", "F2", "F3", "F5"}
    assert all(i.gold["row_count"] > 0 for i in items if i.source == "base" and not i.gold["empty"])
    report = lint_items(items, scratch_driver, suite="tiny", suite_fingerprint=manifest["graph_fingerprint"])
    assert not report.hard, report.hard[:3]


def test_heldout_wordings_are_used_in_test_questions_only(demo_suite, items):
    """Held-out wordings (the last two of each template) never appear in train, and every test
    paraphrase and synonym variant uses one, so test measures more than template lookup."""
    manifest = demo_suite.manifest
    assert manifest["options"]["heldout_wordings"] == 2
    templates = {t.id: t for t in all_templates()}
    heldout = {row["id"]: set(row["heldout_wordings"]) for row in manifest["templates"]}
    assert heldout == {t.id: set(heldout_wordings(t, 2)) for t in templates.values()}
    assert all(len(h) == 2 and 0 not in h for h in heldout.values())
    for item in items:
        template, wording = templates[item.template_id], item.extra["wording_id"]
        values = {**item.placeholders, **item.extra.get("synonyms", {})}
        assert item.question == template.question(wording, values), item.id  # the recorded wording is the real one
        if item.split == "train":
            assert wording not in heldout[item.template_id], item.id
        elif item.source == "base":
            assert wording == 0
        else:
            assert wording in heldout[item.template_id], item.id
    for template_id, wordings in heldout.items():  # every held-out wording is actually asked
        assert {i.extra["wording_id"] for i in items if i.template_id == template_id and i.split == "test"} >= wordings
    train_text = {
        normalize_question(templates[i.template_id].wordings[i.extra["wording_id"]])
        for i in items
        if i.split == "train"
    }
    assert not train_text & {normalize_question(templates[t].wordings[w]) for t, ws in heldout.items() for w in ws}


def test_heldout_wordings_option_is_recorded_and_zero_turns_it_off(use_neo4j, tmp_path):
    out = tmp_path / "shared"
    result = CliRunner().invoke(
        cli, ["suite", "generate", "--out", str(out), "--groups", "3", "--heldout-wordings", "0"]
    )
    assert result.exit_code == 0, result.output
    suite = open_suite(str(out))
    assert suite.manifest["options"]["heldout_wordings"] == 0
    assert all(row["heldout_wordings"] == [] for row in suite.manifest["templates"])
    assert any(i.split == "test" and i.source == "paraphrase" and i.extra["wording_id"] == 1 for i in suite.items())


def test_heldout_wordings_never_take_the_base_or_every_training_paraphrase():
    template = Template(
        "t",
        "T.1",
        "F1",
        (("gene_symbol", "gene"),),
        ("a {gene_symbol}", "b {gene_symbol}", "c {gene_symbol}", "d {gene_symbol}"),
        lambda p: "RETURN 1 AS x LIMIT 1",
        lambda s: [],
    )
    assert heldout_wordings(template, 0) == ()
    assert heldout_wordings(template, 1) == (3,)
    assert heldout_wordings(template, 2) == (2, 3)
    assert heldout_wordings(template, 9) == (2, 3)  # base (0) and one training paraphrase (1) are kept
    snap = SimpleNamespace(genes={"EGFR": ["ERBB1"]}, therapies={}, diseases={}, variants={})
    synonyms = SynonymIndex(snap)
    for split, allowed in (("train", {0, 1}), ("test", {0, 2, 3})):
        for seed in range(20):
            members = group_items(
                template,
                {"gene_symbol": "EGFR"},
                "RETURN 1 AS x LIMIT 1",
                "T.1-001",
                random.Random(seed),
                synonyms,
                split=split,
                heldout=(2, 3),
            )
            assert {m.extra["wording_id"] for m in members} <= allowed, (split, seed)
            assert all(m.extra["wording_id"] in (2, 3) for m in members if split == "test" and m.source != "base")


def test_demo_graph_list_cells_hold_whole_names():
    """A ';' inside a name (e.g. the translocation 't(15;17)') would be split by the CSV list
    separator into fragments such as 't(15' and '17)', which then look like synonyms."""
    data = read_graph_folder()
    for kind in ("genes", "variants", "therapies", "diseases"):
        for row in getattr(data, kind):
            for word in row.get("synonyms", []) + row.get("tags", []):
                depth = 0
                for char in word:
                    depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(char, 0)
                    assert depth >= 0, (kind, word)
                assert depth == 0, (kind, word)
    fusion = next(row for row in data.variants if row["name"] == "PML::RARA")
    assert fusion["synonyms"] == ["PML-RARA", "PML/RARA"]
