"""Static gold checks and house-style helpers: no database needed."""

import pytest

from harness.cypher import build as c
from harness.cypher import scan


@pytest.mark.parametrize(
    "query, ordered",
    [
        ("MATCH (g:Gene) RETURN g.symbol AS s ORDER BY s LIMIT 3", True),
        ("MATCH (g:Gene) RETURN DISTINCT g.symbol AS s ORDER BY g.symbol DESC LIMIT 3", True),
        ("MATCH (g:Gene) RETURN g.symbol ORDER BY g.symbol LIMIT 3", True),
        ("MATCH (b)-[r]->(t) WITH b.s AS s, count(r) AS c RETURN s AS s, c AS c ORDER BY c DESC, s ASC LIMIT 5", True),
        ("MATCH (g:Gene) RETURN g.symbol AS s, g.hgnc_id AS h ORDER BY s LIMIT 3", False),  # h not ordered
        ("MATCH (g:Gene) WITH g ORDER BY g.symbol RETURN g.symbol AS s LIMIT 3", False),  # order before RETURN
        ("MATCH (g:Gene) RETURN g.symbol AS s LIMIT 3", False),
        ("MATCH (g) RETURN g.s AS s ORDER BY s UNION MATCH (h) RETURN h.s AS s ORDER BY s", False),
        ("MATCH (g) WHERE EXISTS { MATCH (g)--(x) RETURN x ORDER BY x } RETURN g.s AS s, g.t AS t LIMIT 5", False),
    ],
)
def test_totally_ordered_needs_every_returned_column_in_the_final_order_by(query, ordered):
    assert scan.totally_ordered(query) is ordered


def test_final_limit_and_probe_ignore_string_literals():
    query = "MATCH (t:Therapy) WHERE t.name = 'LIMIT 7' RETURN t.name AS n LIMIT 20"
    assert scan.final_limit(query) == 20
    assert scan.with_limit(query, 21).endswith("LIMIT 21")
    assert "'LIMIT 7'" in scan.with_limit(query, 21)
    assert scan.final_limit("MATCH (t) RETURN t.name AS n") is None


@pytest.mark.parametrize(
    "query, kinds",
    [
        ("RETURN date() AS d LIMIT 1", {"clock"}),
        ("RETURN timestamp() AS t LIMIT 1", {"clock"}),
        ("MATCH (g) WHERE datetime.realtime().year > 2000 RETURN g.s AS s LIMIT 1", {"clock"}),
        ("RETURN 'date() rand() timestamp() id(x)' AS s LIMIT 1", set()),
        ("RETURN date('2020-01-01') AS d LIMIT 1", set()),  # a fixed date is not the clock
        ("MATCH (g) RETURN g.s AS s, rand() AS r LIMIT 5", {"nondeterministic"}),
        ("MATCH (g) RETURN elementId(g) AS i LIMIT 5", {"nondeterministic"}),
        ("MATCH (g) WITH g LIMIT 3 RETURN g.s AS s LIMIT 5", {"nondeterministic"}),
        ("MATCH (g) WITH g ORDER BY g.s LIMIT 3 RETURN g.s AS s LIMIT 5", set()),
        ("MATCH (g) WITH collect(g.s) AS xs RETURN xs[..3] AS f LIMIT 1", {"nondeterministic"}),
        ("MATCH (g) RETURN head(collect(g.s)) AS f LIMIT 1", {"nondeterministic"}),
        ("MATCH (g) WITH g ORDER BY g.s WITH collect(g.s) AS xs RETURN xs[0] AS f LIMIT 1", set()),
        ("MATCH (g) RETURN collect(g.s) AS xs LIMIT 1", set()),  # a whole list compares as a multiset
        ("MATCH (g) RETURN g.s AS s", {"no_limit"}),
    ],
)
def test_static_problems(query, kinds):
    assert {kind for kind, _ in scan.problems(query)} == kinds


def test_house_style_literals_and_disease_tokens():
    assert c.lit("5'-nucleotidase \\ x") == "'5\\'-nucleotidase \\\\ x'"
    assert c.disease_tokens("Colorectal Cancer") == ["colorectal"]  # 'cancer' dropped when other tokens remain
    assert c.disease_tokens("cancer") == ["cancer"]
    assert c.disease_matches("colorectal cancer", "metastatic colorectal carcinoma")
    assert not c.disease_matches("non-small cell lung carcinoma", "small cell lung carcinoma")
    gene = c.gene("g", "EGFR")
    assert "toLower(g.symbol) = toLower('EGFR')" in gene and "coalesce(g.synonyms, [])" in gene
