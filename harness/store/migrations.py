"""The results database schema as named, append-only migrations (sqlite-utils 4).

Never edit or reorder a migration once it has shipped: add a new one at the end.
"""

from sqlite_utils import Migrations

migrations = Migrations("oncograph_harness")


@migrations()
def create_runs(db):
    db["runs"].create(
        {
            "id": str,
            "model": str,
            "suite": str,
            "suite_hash": str,
            "split": str,
            "status": str,
            "graph_fingerprint": str,
            "fingerprint_after": str,
            "neo4j_version": str,
            "harness_version": str,
            "git_commit": str,
            "host": str,
            "options_key": str,
            "options": str,
            "model_spec": str,
            "adapter_info": str,
            "n_planned": int,
            "error": str,
            "started_at": str,
            "finished_at": str,
        },
        pk="id",
    )
    db["runs"].create_index(["model", "suite", "options_key", "started_at"])


@migrations()
def create_generations(db):
    db["generations"].create(
        {
            "run_id": str,
            "item_id": str,
            "output": str,
            "infra_error": str,
            "gen_ms": float,
            "prompt_tokens": int,
            "output_tokens": int,
            "finish_reason": str,
            "retries": int,
            "meta": str,
            "created_at": str,
        },
        pk=("run_id", "item_id"),
        foreign_keys=[("run_id", "runs", "id")],
    )


@migrations()
def create_results(db):
    db["results"].create(
        {
            "run_id": str,
            "item_id": str,
            "family_id": str,
            "template_id": str,
            "outcome": str,
            "scored": int,
            "syntax_ok": int,
            "exec_ok": int,
            "match": int,
            "strict_match": int,
            "f1": float,
            "reason": str,
            "error": str,
            "error_class": str,
            "warnings": str,
            "extracted_query": str,
            "row_count": int,
            "gold_row_count": int,
            "gen_ms": float,
            "judge_ms": float,
            "db_ms": float,
            "prompt_tokens": int,
            "output_tokens": int,
            "attempts": int,
            "detail": str,
            "created_at": str,
        },
        pk=("run_id", "item_id"),
        foreign_keys=[("run_id", "runs", "id")],
    )
    db["results"].create_index(["run_id", "outcome"])


@migrations()
def create_gold_cache(db):
    db["gold_cache"].create(
        {
            "graph_fingerprint": str,
            "cypher_hash": str,
            "cypher": str,
            "rows": str,
            "row_count": int,
            "db_ms": float,
            "created_at": str,
        },
        pk=("graph_fingerprint", "cypher_hash"),
    )


@migrations()
def add_suite_path(db):
    db["runs"].add_column("suite_path", str)


@migrations()
def add_run_imported_from(db):
    """Runs built from results recorded elsewhere (e.g. OncoGraph checkpoints): source file, hash, format."""
    db["runs"].add_column("imported_from", str)


@migrations()
def create_variant_results(db):
    """Test-suite accuracy: a run's verdict per item on each distilled graph variant."""
    db["variant_results"].create(
        {
            "run_id": str,
            "item_id": str,
            "variant_id": str,
            "variant_fingerprint": str,
            "outcome": str,
            "match": int,
            "row_count": int,
            "gold_row_count": int,
            "error": str,
            "created_at": str,
        },
        pk=("run_id", "item_id", "variant_id"),
        foreign_keys=[("run_id", "runs", "id")],
    )
    db["runs"].add_column("test_suite", str)


@migrations()
def add_run_owner_and_heartbeat(db):
    """Who runs a run (host, pid, process start time) and when it last showed signs of life."""
    for column, kind in (("owner_host", str), ("owner_pid", int), ("owner_started", str), ("heartbeat_at", str)):
        db["runs"].add_column(column, kind)


@migrations()
def add_result_group_id(db):
    """The item's group (paraphrases and synonym variants of one question): the cluster of clustered intervals."""
    db["results"].add_column("group_id", str)


@migrations()
def add_run_merged_from(db):
    """Runs made by `harness results merge`: the shard runs they came from (shard, run id, database)."""
    db["runs"].add_column("merged_from", str)
