"""Reading and checking a graph folder in OncoGraph's CSV layout before anything is loaded.

All problems are found here, so a bad folder never leaves a half-loaded graph.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ..errors import InputError

LIST_SEPARATOR = ";"

# file -> (required columns, list-valued columns, optional columns).
# Required are only the keys and the ends of relationships: OncoGraph's own folders (its
# hand-made `data/manual/`) omit the rest, which are then left null on the graph.
LAYOUT = {
    "nodes/genes.csv": (("symbol",), ("synonyms",), ("hgnc_id", "synonyms")),
    "nodes/variants.csv": (("name",), ("synonyms",), ("hgvs_p", "consequence", "synonyms")),
    "nodes/therapies.csv": (("name",), ("tags", "synonyms"), ("modality", "tags", "chembl_id", "synonyms")),
    "nodes/diseases.csv": (("name",), ("synonyms",), ("doid", "synonyms")),
    "relationships/variant_of.csv": (("variant_name", "gene_symbol"), (), ()),
    "relationships/targets.csv": (
        ("therapy_name", "gene_symbol"),
        ("ref_sources", "ref_ids", "ref_urls"),
        ("source", "moa", "action_type", "ref_sources", "ref_ids", "ref_urls"),
    ),
    "relationships/affects_response.csv": (
        ("biomarker_type", "biomarker_name", "therapy_name", "effect", "disease_name"),
        ("pmids",),
        ("disease_id", "pmids", "source", "notes", "evidence_level"),
    ),
}


def demo_graph_dir() -> Path:
    return Path(str(resources.files("harness.graph").joinpath("demo")))


@dataclass
class GraphData:
    """The checked content of a graph folder, rows as property dicts."""

    source: str
    genes: list[dict] = field(default_factory=list)
    variants: list[dict] = field(default_factory=list)
    therapies: list[dict] = field(default_factory=list)
    diseases: list[dict] = field(default_factory=list)
    variant_of: list[dict] = field(default_factory=list)
    targets: list[dict] = field(default_factory=list)
    affects_response: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # unknown columns ignored, optional columns absent

    def counts(self) -> dict[str, int]:
        return {
            "Gene": len(self.genes),
            "Variant": len(self.variants),
            "Therapy": len(self.therapies),
            "Disease": len(self.diseases),
            "VARIANT_OF": len(self.variant_of),
            "TARGETS": len(self.targets),
            "AFFECTS_RESPONSE_TO": len(self.affects_response),
        }


def _read(folder: Path, name: str, notes: list[str] | None = None) -> list[tuple[int, dict]]:
    required, lists, optional = LAYOUT[name]
    path = folder / name
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            missing = [column for column in required if column not in header]
            if missing:
                raise InputError(
                    f"{path}: missing column {', '.join(repr(m) for m in missing)} (header: {','.join(header) or 'empty'})"
                )
            if notes is not None:
                notes.extend(_header_notes(path, header, required, optional))
            rows = []
            for row in reader:
                if None in row:
                    raise InputError(f"{path} line {reader.line_num}: more fields than the header has")
                clean: dict[str, str | list[str]] = {}
                for column in (*required, *(c for c in optional if c in header)):
                    value = (row.get(column) or "").strip()
                    if column in lists:
                        clean[column] = [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
                    elif value:
                        clean[column] = value
                rows.append((reader.line_num, clean))
            return rows
    except FileNotFoundError:
        raise InputError(f"{path}: file not found (a graph folder needs {', '.join(LAYOUT)})") from None
    except PermissionError:
        raise InputError(f"{path}: not readable (permission denied)") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except csv.Error as exc:
        raise InputError(f"{path}: malformed CSV ({exc})") from None


def _header_notes(path: Path, header: Sequence[str], required: tuple, optional: tuple) -> list[str]:
    """What the user should know about a header that loads: unknown columns and absent optional ones."""
    known = set(required) | set(optional)
    notes = []
    unknown = [column for column in header if column not in known]
    if unknown:
        notes.append(f"{path}: unknown column {', '.join(repr(c) for c in unknown)} ignored")
    absent = [column for column in optional if column not in header]
    if absent:
        notes.append(f"{path}: no column {', '.join(repr(c) for c in absent)} (left null)")
    return notes


def _keyed(folder: Path, name: str, key: str, notes: list[str]) -> tuple[list[dict], set[str]]:
    seen: dict[str, int] = {}
    rows = []
    for line, row in _read(folder, name, notes):
        value = row.get(key)
        if not value:
            raise InputError(f"{folder / name} line {line}: empty {key}")
        if value in seen:
            raise InputError(f"{folder / name} line {line}: duplicate {key} {value!r} (first at line {seen[value]})")
        seen[value] = line
        rows.append(row)
    return rows, set(seen)


def _require(folder: Path, name: str, line: int, kind: str, value: str | None, known: set[str]) -> None:
    if not value or value not in known:
        raise InputError(f"{folder / name} line {line}: unknown {kind} {value!r}")


def read_graph_folder(folder: str | Path | None = None) -> GraphData:
    folder = Path(folder) if folder else demo_graph_dir()
    if not folder.is_dir():
        raise InputError(f"{folder}: not a readable folder")
    data = GraphData(source=str(folder))
    data.genes, genes = _keyed(folder, "nodes/genes.csv", "symbol", data.notes)
    data.variants, variants = _keyed(folder, "nodes/variants.csv", "name", data.notes)
    data.therapies, therapies = _keyed(folder, "nodes/therapies.csv", "name", data.notes)
    data.diseases, _diseases = _keyed(folder, "nodes/diseases.csv", "name", data.notes)

    name = "relationships/variant_of.csv"
    for line, row in _read(folder, name, data.notes):
        _require(folder, name, line, "variant", row.get("variant_name"), variants)
        _require(folder, name, line, "gene", row.get("gene_symbol"), genes)
        data.variant_of.append(row)

    name = "relationships/targets.csv"
    for line, row in _read(folder, name, data.notes):
        _require(folder, name, line, "therapy", row.get("therapy_name"), therapies)
        _require(folder, name, line, "gene", row.get("gene_symbol"), genes)
        data.targets.append(row)

    name = "relationships/affects_response.csv"
    seen: dict[tuple, int] = {}
    for line, row in _read(folder, name, data.notes):
        kind = (row.get("biomarker_type") or "").lower()
        if kind not in ("gene", "variant"):
            raise InputError(
                f"{folder / name} line {line}: biomarker_type must be gene or variant, not {row.get('biomarker_type')!r}"
            )
        row["biomarker_type"] = kind
        _require(folder, name, line, kind, row.get("biomarker_name"), genes if kind == "gene" else variants)
        _require(folder, name, line, "therapy", row.get("therapy_name"), therapies)
        key = (
            kind,
            row["biomarker_name"],
            row["therapy_name"],
            row.get("effect"),
            row.get("disease_name"),
            row.get("source"),
        )
        if key in seen:
            raise InputError(
                f"{folder / name} line {line}: duplicate evidence row (same biomarker, therapy, effect, disease and source as line {seen[key]})"
            )
        seen[key] = line
        data.affects_response.append(row)
    return data
