"""The mutation check on the judge's comparison and the statistics (issue 26): `make mutation`.

    python scripts/mutation_check.py --floor 85 [--children 2] [--deadline-s 840] [--keep]

Runs mutmut ([tool.mutmut] in pyproject.toml: harness/judge/compare.py and harness/report/stats.py,
with the fast tests that exercise them), lists every surviving mutant with its diff, and exits 1
when the kill rate is under the floor or the run does not finish by the deadline. The kill rate is
mutmut's own score: (killed + timeout) / (all mutants - skipped); a mutant no selected test reaches
counts as surviving. Each run starts from an empty mutants/ folder unless --keep is given, so a
cached verdict never hides a change. Writes mutants/survivors.txt and mutants/summary.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"


def mutmut(*args: str, timeout: float, log=None) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).parent / "mutmut"), *args]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the mutated copy in mutants/ must win
    if log is None:
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    return subprocess.run(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=timeout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--floor", type=float, required=True, help="least kill rate in percent")
    parser.add_argument("--children", type=int, default=os.cpu_count() or 2, help="mutants tested at once")
    parser.add_argument("--deadline-s", type=float, default=840, help="fail when mutmut runs longer")
    parser.add_argument("--keep", action="store_true", help="reuse mutants/ (mutmut's cache) from the last run")
    args = parser.parse_args(argv)

    if not args.keep:
        shutil.rmtree(MUTANTS, ignore_errors=True)
    MUTANTS.mkdir(exist_ok=True)
    started = time.monotonic()
    with open(MUTANTS / "run.log", "w") as log:  # mutmut's spinner: kept out of the CI log
        try:
            run = mutmut("run", "--max-children", str(args.children), timeout=args.deadline_s, log=log)
        except subprocess.TimeoutExpired:
            print(f"Error: mutmut ran past --deadline-s {args.deadline_s:g}; see mutants/run.log", file=sys.stderr)
            return 1
    elapsed = time.monotonic() - started
    if run.returncode != 0:
        print(f"Error: mutmut run exited {run.returncode}; see mutants/run.log", file=sys.stderr)
        return 1
    exported = mutmut("export-cicd-stats", timeout=120)
    stats_file = MUTANTS / "mutmut-cicd-stats.json"
    if exported.returncode != 0 or not stats_file.is_file():
        print(f"Error: no mutation results ({exported.stdout.strip()} {exported.stderr.strip()})", file=sys.stderr)
        return 1
    stats = json.loads(stats_file.read_text())
    tested = stats["total"] - stats.get("skipped", 0)
    detected = stats["killed"] + stats.get("timeout", 0)
    rate = 100 * detected / tested if tested else 0.0

    listed = mutmut("results", timeout=120).stdout.splitlines()
    survivors = [
        line.strip().rsplit(": ", 1)[0] for line in listed if line.strip().endswith((": survived", ": no tests"))
    ]
    with open(MUTANTS / "survivors.txt", "w") as out:
        for name in survivors:
            out.write(mutmut("show", name, timeout=120).stdout + "\n")
    summary = {**stats, "kill_rate_pct": round(rate, 1), "floor_pct": args.floor, "seconds": round(elapsed)}
    (MUTANTS / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")

    print(f"surviving mutants ({len(survivors)}), diffs in {MUTANTS / 'survivors.txt'}:")
    for name in survivors:
        print(f"  {name}")
    verdict = "PASS" if rate >= args.floor else "FAIL"
    print(
        f"mutation check {verdict}: {detected} of {tested} mutants killed ({rate:.1f}%, floor {args.floor:g}%): "
        f"killed {stats['killed']}, timeout {stats.get('timeout', 0)}, survived {stats['survived']}, "
        f"no tests {stats.get('no_tests', 0)}, suspicious {stats.get('suspicious', 0)}, "
        f"skipped {stats.get('skipped', 0)}; {elapsed:.0f} s with {args.children} at once"
    )
    return 0 if rate >= args.floor else 1


if __name__ == "__main__":
    sys.exit(main())
