"""Open or update the one GitHub issue of a failing nightly (.github/workflows/nightly.yml, issue 26).

    python scripts/nightly_issue.py --job core --out out --steps "run gold=success,gate gold=failure" [--post]

Says which gate failed and why (each non-zero out/gate-NAME.code with its verdict line and the
checks that failed, from out/gate-NAME.txt) and which other steps failed. Without --post it only
prints the comment; with --post it comments on the open issue titled TITLE, or opens it, through
the `gh` CLI with the job's GITHUB_TOKEN (the job needs `permissions: issues: write`). One issue
collects every failing night until someone closes it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

TITLE = "Nightly evaluation failing"
VERDICTS = {1: "HARNESS ERROR", 2: "REGRESSION", 3: "INCOMPLETE"}


def failed_gates(out: Path) -> list[str]:
    """One entry per gate with a non-zero exit code: its verdict, the verdict line, the failed checks."""
    entries = []
    for code_file in sorted(out.glob("gate-*.code")):
        name = code_file.name.removeprefix("gate-").removesuffix(".code")
        code = int(code_file.read_text().strip() or 1)
        if code == 0:
            continue
        text_file = out / f"gate-{name}.txt"
        lines = text_file.read_text(encoding="utf-8", errors="replace").splitlines() if text_file.is_file() else []
        why = [line.strip() for line in lines[:1] + [line for line in lines[1:] if "[FAIL]" in line]]
        entry = f"- gate **{name}**: {VERDICTS.get(code, 'HARNESS ERROR')} (exit {code})"
        entries.append(entry + "".join(f"\n  - `{line}`" for line in why if line))
    return entries


def failed_steps(steps: str) -> list[str]:
    """`name=outcome` pairs (comma-separated, as the workflow passes them): the ones that failed."""
    pairs = [part.split("=", 1) for part in steps.split(",") if "=" in part]
    return [f"- step `{name.strip()}`: {outcome.strip()}" for name, outcome in pairs if outcome.strip() == "failure"]


def comment(job: str, out: Path, steps: str, run_url: str) -> str:
    gates, others = failed_gates(out), failed_steps(steps)
    lines = [f"**Nightly job `{job}` failed** ({run_url or 'run URL unknown'})", ""]
    lines += gates or ["- no gate failed: the job failed before or after its gates (see the steps below and the log)"]
    lines += others
    return "\n".join(lines) + "\n"


def gh(*args: str) -> str:
    return subprocess.run(["gh", *args], check=True, capture_output=True, text=True, timeout=60).stdout


def post(body: str) -> str:
    """Comments on the open issue titled TITLE, or opens it; returns what it did."""
    listed = json.loads(gh("issue", "list", "--state", "open", "--limit", "200", "--json", "number,title") or "[]")
    numbers = [issue["number"] for issue in listed if issue["title"] == TITLE]
    if numbers:
        gh("issue", "comment", str(numbers[0]), "--body", body)
        return f"commented on issue #{numbers[0]}"
    gh("issue", "create", "--title", TITLE, "--body", body)
    return "opened an issue"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--job", required=True)
    parser.add_argument("--out", default="out", type=Path)
    parser.add_argument("--steps", default="", help="name=outcome pairs, comma-separated")
    parser.add_argument("--post", action="store_true", help="comment on (or open) the GitHub issue")
    args = parser.parse_args(argv)
    server, repo, run = (os.environ.get(k, "") for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
    run_url = f"{server}/{repo}/actions/runs/{run}" if server and repo and run else ""
    body = comment(args.job, args.out, args.steps, run_url)
    print(body, end="")
    if not args.post:
        return 0
    if shutil.which("gh") is None:
        print(f"::error::no gh CLI on this runner: the failure was not filed as the issue {TITLE!r}")
        return 1
    try:
        print(post(body))
    except (subprocess.SubprocessError, ValueError) as exc:
        detail = getattr(exc, "stderr", "") or exc
        print(f"::error::could not file the failure as the issue {TITLE!r}: {detail}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
