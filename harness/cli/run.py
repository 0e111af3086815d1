"""`harness run` and `harness rescore`: evaluate a model, or re-judge stored outputs."""

from __future__ import annotations

import click

from ..judge.limits import DEFAULT_LIMITS, Limits
from ..runner import RunRequest, rescore, run
from .options import db_option, neo4j_option, variant_server_option

test_suite_option = click.option(
    "--test-suite",
    is_flag=True,
    help="Also judge correct items on the suite's distilled graph variants (test-suite accuracy).",
)


def _report(summary) -> None:
    counts = ", ".join(f"{outcome} {n}" for outcome, n in sorted(summary.counts.items()))
    verb = "resumed" if summary.resumed else "run"
    click.echo(
        f"{verb} {summary.run_id}: {summary.status}, {summary.recorded} items judged now; totals: {counts}", err=True
    )
    if summary.test_suite is not None:
        click.echo(summary.test_suite.describe(), err=True)
    if getattr(summary, "note", None):
        click.echo(summary.note, err=True)
    click.echo(summary.run_id)


@click.command("run")
@click.option("--model", "-m", required=True, help="Model spec name (models/NAME.toml, or gold / replay).")
@click.option("--suite", "-s", default="demo", show_default=True, help="Suite name under suites/ or a suite folder.")
@click.option("--split", type=click.Choice(["test", "train"]), default="test", show_default=True)
@click.option("--resume", is_flag=True, help="Continue the latest unfinished run of this model, suite and options.")
@click.option("--run-id", default=None, help="Continue this run.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the first N items of the split.")
@click.option(
    "--sample", type=click.IntRange(min=1), default=None, help="A seeded sample of N items, equal shares per family."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --sample.")
@click.option(
    "--items",
    "items_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Only the item ids in FILE (one per line, or JSONL with an id field, e.g. a replay file).",
)
@click.option(
    "--concurrency",
    "-c",
    type=click.IntRange(min=1),
    default=None,
    help="Parallel model calls (capped by the adapter).",
)
@click.option(
    "--judge-workers",
    type=click.IntRange(min=1),
    default=None,
    envvar="HARNESS_JUDGE_WORKERS",
    help="Generated queries judged at once (default: one per core of a local Neo4j server plus one, two per core of a remote one, within its limits).",
)
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=0.1),
    default=DEFAULT_LIMITS.timeout_s,
    show_default=True,
    help="Per-query Neo4j transaction timeout in seconds.",
)
@click.option(
    "--row-cap",
    type=click.IntRange(min=1),
    default=DEFAULT_LIMITS.row_cap,
    show_default=True,
    help="Rows beyond this are too_many_rows.",
)
@click.option("--replay", type=click.Path(dir_okay=False), default=None, help="JSONL outputs for --model replay.")
@click.option(
    "--cost-limit",
    type=click.FloatRange(min=0),
    default=None,
    metavar="USD",
    help="Stop taking items before the estimated spend (the spec's [price] times recorded usage) passes USD; "
    "the run ends interrupted and --resume continues it.",
)
@click.option(
    "--shard",
    default=None,
    metavar="I/N",
    help="Only shard I of N: a fixed, disjoint part of the items (merge the parts with `harness results merge`).",
)
@click.option(
    "--ray",
    "ray_address",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[ADDRESS]",
    help="Generate on a Ray cluster: ADDRESS, else $RAY_ADDRESS, else the local one (needs the [ray] extra).",
)
@click.option(
    "--replicas",
    type=click.IntRange(min=1),
    default=None,
    help="With --ray: copies of the model, each asking the cluster for the spec's [resources] (default 1).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
@test_suite_option
@variant_server_option
@db_option
@neo4j_option
def run_command(
    model,
    suite,
    split,
    resume,
    run_id,
    limit,
    sample,
    seed,
    items_file,
    concurrency,
    judge_workers,
    timeout_s,
    row_cap,
    replay,
    cost_limit,
    shard,
    ray_address,
    replicas,
    quiet,
    test_suite,
    variant_server,
    db_path,
    neo4j_backend,
):
    """Evaluate MODEL on a suite; every verdict is stored as it happens."""
    if resume and run_id:
        raise click.UsageError("--resume and --run-id are mutually exclusive")
    if replay and model != "replay":
        raise click.UsageError("--replay goes with --model replay")
    if replicas is not None and ray_address is None:
        raise click.UsageError("--replicas goes with --ray")
    request = RunRequest(
        model=model,
        suite=suite,
        split=split,
        resume=resume,
        run_id=run_id,
        limit=limit,
        sample=sample,
        seed=seed,
        items_file=items_file,
        concurrency=concurrency,
        judge_workers=judge_workers,
        limits=Limits(timeout_s=timeout_s, row_cap=row_cap),
        replay=replay,
        db_path=db_path,
        neo4j=neo4j_backend,
        progress=not quiet,
        test_suite=test_suite,
        variant_server=variant_server,
        cost_limit=cost_limit,
        shard=shard,
        ray=ray_address,
        replicas=replicas or 1,
    )
    _report(run(request))


@click.command("rescore")
@click.argument("run_id")
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
@test_suite_option
@variant_server_option
@db_option
@neo4j_option
def rescore_command(run_id, quiet, test_suite, variant_server, db_path, neo4j_backend):
    """Judge RUN_ID's stored generations again as a new run, without calling the model."""

    _report(
        rescore(
            run_id,
            db_path=db_path,
            neo4j=neo4j_backend,
            progress=not quiet,
            test_suite=test_suite,
            variant_server=variant_server,
        )
    )


COMMANDS = [run_command, rescore_command]
