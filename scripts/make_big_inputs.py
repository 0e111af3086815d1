"""Write the large inputs docs/guide/inputs.md measures memory on (nothing here is committed output).

    python scripts/make_big_inputs.py rows OUT.jsonl [ROWS]     one recorded item, ROWS rows each side
    python scripts/make_big_inputs.py suite OUT_FOLDER [ITEMS]  a suite of ITEMS items (demo items, new ids)

Then e.g. `/usr/bin/time -v harness results import OUT.jsonl --model big -q --db /tmp/big.db`
(peak RSS: "Maximum resident set size").
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

QUERY = "MATCH (g:Gene) RETURN g.symbol AS symbol"


def recorded_rows(path: Path, rows: int) -> None:
    """OncoGraph's checkpoint format: one line, the same ROWS rows recorded for gold and generated."""
    with open(path, "w", encoding="utf-8") as out:
        out.write('{"id": "F1.1-big", "question": "Which genes are there?", ')
        out.write(f'"gold_cypher": {json.dumps(QUERY)}, "generated_cypher": {json.dumps(QUERY)}, ')
        out.write('"syntactic_valid": true, "execution_success": true, "result_match": true, ')
        for name in ("gold_rows", "generated_rows"):
            out.write(f'"{name}": [')
            out.write(", ".join(f'{{"symbol": "G{i}"}}' for i in range(rows)))
            out.write("], ")
        out.write('"latency_ms": 1.0}\n')


def big_suite(folder: Path, items: int) -> None:
    source = Path(__file__).resolve().parent.parent / "suites" / "demo" / "items.jsonl"
    records = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "items.jsonl", "w", encoding="utf-8") as out:
        for number in range(items):
            record = dict(records[number % len(records)])
            record["id"] = f"{record['id']}#{number}"
            record["group_id"] = f"{record.get('group_id') or record['id']}#{number}"
            record.pop("paraphrase_of", None)
            line = json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
            out.write(line)
    (folder / "manifest.json").write_text(json.dumps({"name": folder.name, "n_items": items}))


if __name__ == "__main__":
    what, target = sys.argv[1], Path(sys.argv[2])
    if what == "rows":
        recorded_rows(target, int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000)
    else:
        big_suite(target, int(sys.argv[3]) if len(sys.argv) > 3 else 100_000)
