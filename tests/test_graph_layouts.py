"""Every published OncoGraph layout loads: a folder in the layout of OncoGraph's hand-made
`data/manual/` (fewer columns than the demo graph), written here by the test, goes through
the whole loop (graph load, suite generate, lint, run --model gold, report) on a graph that
is not the demo graph."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from harness.graph.csv_source import read_graph_folder

from .kit import invoke

# The headers of OncoGraph's data/manual/ folder (no moa, action_type, ref_*, disease_id, evidence_level).
MANUAL_HEADERS = {
    "nodes/genes.csv": ["symbol", "hgnc_id", "synonyms"],
    "nodes/variants.csv": ["name", "hgvs_p", "consequence", "synonyms"],
    "nodes/therapies.csv": ["name", "modality", "tags", "chembl_id", "synonyms"],
    "nodes/diseases.csv": ["name", "doid", "synonyms"],
    "relationships/variant_of.csv": ["variant_name", "gene_symbol"],
    "relationships/targets.csv": ["therapy_name", "gene_symbol", "source"],
    "relationships/affects_response.csv": [
        "biomarker_type",
        "biomarker_name",
        "therapy_name",
        "effect",
        "disease_name",
        "pmids",
        "source",
        "notes",
    ],
}

GENES = [
    ("ALK", "HGNC:427", "CD246"),
    ("ROS1", "HGNC:10261", "MCF3"),
    ("MET", "HGNC:7029", "HGFR"),
    ("RET", "HGNC:9967", ""),
]
VARIANTS = [
    ("ALK F1174L", "p.Phe1174Leu", "missense", "ALK"),
    ("ALK G1202R", "p.Gly1202Arg", "missense", "ALK"),
    ("ROS1 G2032R", "p.Gly2032Arg", "missense", "ROS1"),
    ("MET Y1003F", "p.Tyr1003Phe", "missense", "MET"),
    ("RET M918T", "p.Met918Thr", "missense", "RET"),
]
THERAPIES = [
    ("Crizotinib", "TKI", "ALK Inhibitor;ROS1 Inhibitor", "CHEMBL601719", "Xalkori", ["ALK", "ROS1", "MET"]),
    ("Lorlatinib", "TKI", "ALK Inhibitor", "CHEMBL3286830", "Lorbrena", ["ALK", "ROS1"]),
    ("Capmatinib", "TKI", "MET Inhibitor", "CHEMBL3188267", "Tabrecta", ["MET"]),
    ("Selpercatinib", "TKI", "RET Inhibitor", "CHEMBL4559134", "Retevmo", ["RET"]),
    ("Entrectinib", "TKI", "ROS1 Inhibitor", "CHEMBL1983268", "Rozlytrek", ["ROS1", "ALK"]),
]
DISEASES = [
    ("Lung Non-small Cell Carcinoma", "DOID:3908", "NSCLC"),
    ("Thyroid Medullary Carcinoma", "DOID:3973", "MTC"),
]
EVIDENCE = [
    ("Variant", "ALK G1202R", "Lorlatinib", "sensitivity", "Lung Non-small Cell Carcinoma", "29650534", "civic"),
    ("Variant", "ALK G1202R", "Crizotinib", "resistance", "Lung Non-small Cell Carcinoma", "27432227", "civic"),
    ("Variant", "ALK F1174L", "Crizotinib", "resistance", "Lung Non-small Cell Carcinoma", "22034911", "civic"),
    ("Variant", "ROS1 G2032R", "Crizotinib", "resistance", "Lung Non-small Cell Carcinoma", "23724914", "civic"),
    ("Variant", "ROS1 G2032R", "Lorlatinib", "sensitivity", "Lung Non-small Cell Carcinoma", "28520527", "civic"),
    ("Variant", "RET M918T", "Selpercatinib", "sensitivity", "Thyroid Medullary Carcinoma", "32846061", "civic"),
    ("Gene", "MET", "Capmatinib", "sensitivity", "Lung Non-small Cell Carcinoma", "32877583", "civic"),
    ("Gene", "ALK", "Entrectinib", "sensitivity", "Lung Non-small Cell Carcinoma", "28183697;28011461", "civic"),
]


def write_manual_layout(folder: Path, extra_column: bool = False) -> Path:
    rows = {
        "nodes/genes.csv": GENES,
        "nodes/variants.csv": [(name, hgvs, consequence, "") for name, hgvs, consequence, _ in VARIANTS],
        "nodes/therapies.csv": [therapy[:5] for therapy in THERAPIES],
        "nodes/diseases.csv": DISEASES,
        "relationships/variant_of.csv": [(name, gene) for name, *_, gene in VARIANTS],
        "relationships/targets.csv": [(therapy[0], gene, "manual") for therapy in THERAPIES for gene in therapy[5]],
        "relationships/affects_response.csv": [(*row, "") for row in EVIDENCE],
    }
    for name, header in MANUAL_HEADERS.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            extra = extra_column and name == "relationships/targets.csv"
            writer.writerow([*header, "curator"] if extra else header)
            writer.writerows([*row, "me"] if extra else row for row in rows[name])
    return folder


def test_manual_layout_reads_with_absent_columns_left_null(tmp_path):
    data = read_graph_folder(write_manual_layout(tmp_path / "g"))
    assert data.counts() == {
        "Gene": 4,
        "Variant": 5,
        "Therapy": 5,
        "Disease": 2,
        "VARIANT_OF": 5,
        "TARGETS": 9,
        "AFFECTS_RESPONSE_TO": 8,
    }
    target = data.targets[0]
    assert target["source"] == "manual" and "moa" not in target and "ref_ids" not in target
    evidence = data.affects_response[-1]
    assert evidence["pmids"] == ["28183697", "28011461"] and "disease_id" not in evidence
    assert any("targets.csv: no column 'moa'" in note for note in data.notes)


def test_an_unknown_extra_column_is_reported_and_ignored(tmp_path):
    data = read_graph_folder(write_manual_layout(tmp_path / "g", extra_column=True))
    assert "curator" not in data.targets[0]
    assert any("targets.csv: unknown column 'curator' ignored" in note for note in data.notes)


def test_the_demo_graph_has_every_column():
    assert not [note for note in read_graph_folder().notes if "unknown column" in note]


# a copy of OncoGraph's repository beside the checkout (../shared), where the development machines keep one
REPO = Path(__file__).resolve().parent.parent
PUBLISHED = next((p for p in (REPO.parent / "shared", REPO.parent.parent / "shared") if p.is_dir()), REPO) / "oncograph"


@pytest.mark.skipif(
    not (PUBLISHED / "manual").is_dir(), reason="no copy of OncoGraph's manual folder beside the checkout"
)
def test_oncographs_own_manual_folder_reads():
    data = read_graph_folder(PUBLISHED / "manual")
    assert data.counts()["Gene"] > 0 and data.counts()["AFFECTS_RESPONSE_TO"] > 0


@pytest.mark.slow
def test_the_whole_loop_on_a_second_graph(tmp_path, use_scratch_neo4j):
    graph = write_manual_layout(tmp_path / "manual-graph", extra_column=True)
    loaded = invoke("graph", "load", "--source", graph, "--replace")
    assert loaded.exit_code == 0, loaded.output
    assert "unknown column 'curator' ignored" in loaded.output and "TARGETS 9" in loaded.output

    suite = tmp_path / "manual-suite"
    generated = invoke("suite", "generate", "--name", "manual", "--out", suite, "--groups", "4")
    assert generated.exit_code == 0, generated.output
    manifest = json.loads((suite / "manifest.json").read_text())
    assert manifest["n_items"] > 0 and manifest["counts"]["splits"].get("test", 0) > 0

    linted = invoke("suite", "lint", suite)
    assert linted.exit_code == 0, linted.output

    ran = invoke("run", "--model", "gold", "--suite", suite, "--quiet")
    assert ran.exit_code == 0, ran.output
    run_id = ran.output.strip().splitlines()[-1]

    report = invoke("report", "--format", "json")
    assert report.exit_code == 0, report.output
    assert run_id[:8] in report.output
    summary = invoke("report")
    assert summary.exit_code == 0 and "100.0" in summary.output, summary.output
