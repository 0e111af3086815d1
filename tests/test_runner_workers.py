"""Judging concurrency is read from the Neo4j server (its cores and limits), not a constant."""

from __future__ import annotations

import os

from neo4j.exceptions import ClientError

from harness.runner.workers import (
    LOCAL_EXTRA,
    LOCAL_PER_CORE,
    MOST,
    REMOTE_PER_CORE,
    judge_workers,
    server_cores,
    server_limit,
)

from .kit import invoke


def test_the_server_reports_its_cores_and_limits(neo4j_driver):
    assert server_cores(neo4j_driver) == os.cpu_count()  # the jvm backend runs on this host, unconstrained
    # dbms.memory.transaction.total.max 512m over db.memory.transaction.max 128m (graph/jvm.ServerSettings);
    # server.bolt.thread_pool_max_size is 400, concurrent transactions 1000
    assert server_limit(neo4j_driver) == 4


def test_default_is_one_per_core_of_a_local_server_plus_one_and_two_per_core_of_a_remote_one(neo4j_driver):
    memory = server_limit(neo4j_driver)  # as many judge transactions as get their whole memory limit
    local = min(LOCAL_PER_CORE * os.cpu_count() + LOCAL_EXTRA, MOST, memory)
    assert judge_workers(neo4j_driver, uri="bolt://127.0.0.1:7687") == local
    remote = min(REMOTE_PER_CORE * os.cpu_count(), MOST, memory)
    assert judge_workers(neo4j_driver, uri="neo4j://graph.example.org") == remote


def test_an_explicit_number_wins(neo4j_driver):
    assert judge_workers(neo4j_driver, 3) == 3


class Silent:
    """A server that answers neither JMX nor settings queries (no privilege): the only stand-in here,
    since a Community server always answers them."""

    def execute_query(self, *args, **kwargs):
        raise ClientError("Permission denied")


def test_without_server_figures_a_local_server_has_this_hosts_cores_and_a_remote_one_two():
    local = min(LOCAL_PER_CORE * os.cpu_count() + LOCAL_EXTRA, MOST)
    assert judge_workers(Silent(), uri="bolt://127.0.0.1:7687") == local
    assert judge_workers(Silent(), uri="neo4j+s://graph.example.org") == REMOTE_PER_CORE * 2


def test_zero_judge_workers_is_a_usage_error():
    result = invoke("run", "--model", "gold", "--judge-workers", "0")
    assert result.exit_code == 2 and "--judge-workers" in result.output
    assert invoke("run", "--model", "gold", env={"HARNESS_JUDGE_WORKERS": "0"}).exit_code == 2
