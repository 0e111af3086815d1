"""Judging concurrency is read from the Neo4j server (its cores and limits), not a constant."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest
from neo4j.exceptions import ClientError

from harness.runner.workers import judge_workers, server_cores, server_limit

from .kit import invoke


def jvm_cores() -> int:
    """The processors a JVM on this host counts, found without asking it: the CPUs this process may
    run on (affinity), capped by a cgroup CPU quota rounded up (the JVM's container support)."""
    cores = len(os.sched_getaffinity(0))
    v2, v1 = Path("/sys/fs/cgroup/cpu.max"), Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")
    if v2.is_file():
        quota, period = v2.read_text().split()
        if quota != "max":
            cores = min(cores, math.ceil(int(quota) / int(period)))
    elif v1.is_file() and int(v1.read_text()) > 0:
        period = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us").read_text())
        cores = min(cores, math.ceil(int(v1.read_text()) / period))
    return max(cores, 1)


def test_the_server_reports_its_cores_and_limits(neo4j_driver):
    assert server_cores(neo4j_driver) == jvm_cores()  # the jvm backend runs on this host
    # dbms.memory.transaction.total.max 512m over db.memory.transaction.max 128m (graph/jvm.ServerSettings);
    # server.bolt.thread_pool_max_size is 400, concurrent transactions 1000
    assert server_limit(neo4j_driver) == 512 // 128


def test_default_is_one_per_core_of_a_local_server_plus_one_and_two_per_core_of_a_remote_one(neo4j_driver):
    cores, memory = jvm_cores(), 512 // 128  # as many judge transactions as get their whole memory limit
    assert judge_workers(neo4j_driver, uri="bolt://127.0.0.1:7687") == min(cores + 1, 32, memory)
    assert judge_workers(neo4j_driver, uri="neo4j://graph.example.org") == min(2 * cores, 32, memory)


def test_an_explicit_number_wins(neo4j_driver):
    assert judge_workers(neo4j_driver, 3) == 3


class Silent:
    """A server that answers neither JMX nor settings queries (no privilege): the only stand-in here,
    since a Community server always answers them."""

    def execute_query(self, *args, **kwargs):
        raise ClientError("Permission denied")


@pytest.mark.parametrize(("host_cores", "local"), [(3, 4), (8, 9), (31, 32), (64, 32)])  # one per core + 1, at most 32
def test_without_server_figures_a_local_server_has_this_hosts_cores_and_a_remote_one_two(
    host_cores, local, monkeypatch
):
    monkeypatch.setattr(os, "cpu_count", lambda: host_cores)  # this host, as the harness sees it
    assert judge_workers(Silent(), uri="bolt://127.0.0.1:7687") == local
    assert judge_workers(Silent(), uri="neo4j+s://graph.example.org") == 4  # two per core of an assumed 2


def test_zero_judge_workers_is_a_usage_error():
    result = invoke("run", "--model", "gold", "--judge-workers", "0")
    assert result.exit_code == 2 and "--judge-workers" in result.output
    assert invoke("run", "--model", "gold", env={"HARNESS_JUDGE_WORKERS": "0"}).exit_code == 2
