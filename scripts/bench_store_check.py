"""How long the integrity check costs when a results database is opened (docs/guide/troubleshooting.md).

Builds RUNS runs of ITEMS items each (default 5 x 20,000) in a scratch database, then times
`PRAGMA quick_check`, `PRAGMA integrity_check` and opening a `Store` (which runs one of them).
Usage: python scripts/bench_store_check.py [DB] [RUNS] [ITEMS]
"""

from __future__ import annotations

import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.store import Store
from tests.report_fixtures import add_run, outcomes


def main() -> None:
    db = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/bench_store_check.db")
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    items = int(sys.argv[3]) if len(sys.argv) > 3 else 20_000
    if not db.exists():
        with Store(db) as store:
            for run in range(runs):
                add_run(store, f"m{run}", outcomes("F1", {"correct": items // 2, "wrong_result": items - items // 2}))
    print(f"{db}: {db.stat().st_size / 1e6:.1f} MB")
    conn = sqlite3.connect(db)
    for pragma in ("quick_check", "integrity_check"):
        started = time.perf_counter()
        conn.execute(f"PRAGMA {pragma}").fetchall()
        print(f"{pragma}: {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    Store(db).close()
    print(f"Store open: {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
