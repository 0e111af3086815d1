"""A sorted, in-memory picture of the loaded graph, from which templates sample entities.

Why read it from Neo4j rather than the CSV folder: the suite is for the graph that is
loaded (its fingerprint goes into the manifest), and every list here is sorted so that
sampling with a seeded `random.Random` gives the same suite on every machine.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Evidence:
    kind: str  # gene | variant
    biomarker: str  # gene symbol or variant name
    gene: str | None  # the gene the biomarker stands for
    therapy: str
    effect: str
    disease: str
    pmids: tuple[str, ...]


@dataclass
class Snapshot:
    genes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # symbol -> synonyms
    variants: dict[str, dict] = field(default_factory=dict)  # name -> gene, hgvs_p, consequence, synonyms
    therapies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    diseases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    targets: list[tuple[str, str]] = field(default_factory=list)  # (therapy, gene), sorted, distinct
    evidence: list[Evidence] = field(default_factory=list)

    def targeted_by(self) -> dict[str, list[str]]:
        """gene -> therapies targeting it."""
        out: dict[str, list[str]] = defaultdict(list)
        for therapy, gene in self.targets:
            out[gene].append(therapy)
        return out

    def targets_of(self) -> dict[str, list[str]]:
        """therapy -> genes it targets."""
        out: dict[str, list[str]] = defaultdict(list)
        for therapy, gene in self.targets:
            out[therapy].append(gene)
        return out

    def variants_of(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = defaultdict(list)
        for name, props in sorted(self.variants.items()):
            if props["gene"]:
                out[props["gene"]].append(name)
        return out

    def synonyms(self, kind: str, name: str) -> tuple[str, ...]:
        if kind == "variant":
            return tuple(self.variants.get(name, {}).get("synonyms", ()))
        table = {"gene": self.genes, "therapy": self.therapies, "disease": self.diseases}[kind]
        if name in table:
            return table[name]
        lowered = {k.lower(): v for k, v in table.items()}
        return lowered.get(name.lower(), ())


def _strings(values) -> tuple[str, ...]:
    return tuple(sorted({str(v).strip() for v in (values or []) if str(v).strip()}))


def read_snapshot(driver) -> Snapshot:
    """Everything the templates need, in one READ session, sorted."""
    snap = Snapshot()
    with driver.session(default_access_mode="READ") as session:
        for r in session.run("MATCH (g:Gene) RETURN g.symbol AS s, g.synonyms AS syn ORDER BY s"):
            snap.genes[r["s"]] = _strings(r["syn"])
        for r in session.run("MATCH (t:Therapy) RETURN t.name AS n, t.synonyms AS syn ORDER BY n"):
            snap.therapies[r["n"]] = _strings(r["syn"])
        for r in session.run("MATCH (d:Disease) RETURN d.name AS n, d.synonyms AS syn ORDER BY n"):
            snap.diseases[r["n"]] = _strings(r["syn"])
        for r in session.run(
            "MATCH (v:Variant) OPTIONAL MATCH (v)-[:VARIANT_OF]->(g:Gene) "
            "RETURN v.name AS n, min(g.symbol) AS g, v.hgvs_p AS h, v.consequence AS c, v.synonyms AS syn ORDER BY n"
        ):
            snap.variants[r["n"]] = {
                "gene": r["g"],
                "hgvs_p": r["h"],
                "consequence": r["c"],
                "synonyms": _strings(r["syn"]),
            }
        snap.targets = [
            (r["t"], r["g"])
            for r in session.run(
                "MATCH (t:Therapy)-[:TARGETS]->(g:Gene) RETURN DISTINCT t.name AS t, g.symbol AS g ORDER BY t, g"
            )
        ]
        rows = session.run(
            "MATCH (b:Biomarker)-[r:AFFECTS_RESPONSE_TO]->(t:Therapy) OPTIONAL MATCH (b)-[:VARIANT_OF]->(vg:Gene) "
            "RETURN CASE WHEN b:Variant THEN 'variant' ELSE 'gene' END AS kind, coalesce(b.name, b.symbol) AS b, "
            "CASE WHEN b:Gene THEN b.symbol ELSE vg.symbol END AS g, t.name AS t, r.effect AS e, "
            "r.disease_name AS d, coalesce(r.pmids, []) AS p"
        )
        snap.evidence = sorted(
            (
                Evidence(r["kind"], r["b"], r["g"], r["t"], str(r["e"] or "").lower(), r["d"] or "", _strings(r["p"]))
                for r in rows
            ),
            key=_evidence_key,
        )
    return snap


def _evidence_key(e: Evidence) -> tuple:
    return (e.kind, e.biomarker, e.gene or "", e.therapy, e.effect, e.disease, e.pmids)
