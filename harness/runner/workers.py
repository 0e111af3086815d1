"""How many generated queries are judged at once: chosen from the Neo4j server, not a constant.

Judging needs the server's CPU for each query and the client's (one Python thread at a time)
to decode and compare its rows, so the default keeps each core the server's JVM reports busy
with one query plus one more for the client to work on meanwhile. A server on another host gets
two per core, so that one query's round trip overlaps another's work. It never exceeds the
server's Bolt worker pool or its limit on concurrent transactions, and stays within the
driver's connection pool, and never exceeds the number of transactions that each get their whole
memory limit within the server's total (`dbms.memory.transaction.total.max` over
`db.memory.transaction.max`), so a judged query's memory verdict never depends on its neighbours.
Where the server does not say (no privilege to read its settings or
JMX), a server on this host is assumed to have this host's cores.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

from neo4j.exceptions import Neo4jError

LOCAL_PER_CORE = 1
LOCAL_EXTRA = 1  # the query whose rows the client is decoding while the server's cores run the others
REMOTE_PER_CORE = 2
MOST = 32  # the driver's pool holds 100 connections; past this the client's own CPU is the bound
FALLBACK_CORES = 2
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
CORES_QUERY = (
    "CALL dbms.queryJmx('java.lang:type=OperatingSystem') YIELD attributes "
    "RETURN attributes.AvailableProcessors.value AS cores"
)
LIMITS_QUERY = (
    "SHOW SETTINGS YIELD name, value "
    "WHERE name IN ['server.bolt.thread_pool_max_size', 'db.transaction.concurrent.maximum'] RETURN name, value"
)
MEMORY_QUERY = (
    "SHOW SETTINGS YIELD name, value "
    "WHERE name IN ['db.memory.transaction.max', 'dbms.memory.transaction.total.max'] RETURN name, value"
)
SIZE = re.compile(r"^\s*([0-9.]+)\s*([kmgt]?)(i?b)?\s*$", re.IGNORECASE)


def parse_bytes(value) -> int | None:
    """A Neo4j byte size as SHOW SETTINGS prints it ("128.00MiB", "512m", "0"), in bytes."""
    match = SIZE.match(str(value))
    if not match:
        return None
    return int(float(match.group(1)) * 1024 ** " kmgt".index((match.group(2) or " ").lower()))


def _scalar(driver, query: str) -> list:
    try:
        records, _, _ = driver.execute_query(query, routing_="r")
    except Neo4jError:
        return []
    return records


def server_cores(driver, uri: str | None = None) -> int:
    """The cores the Neo4j JVM may use, as it reports them; else this host's for a local server."""
    for record in _scalar(driver, CORES_QUERY):
        if isinstance(record["cores"], int) and record["cores"] > 0:
            return record["cores"]
    if is_local(uri):
        return os.cpu_count() or FALLBACK_CORES
    return FALLBACK_CORES


def server_limit(driver) -> int | None:
    """The fewest concurrent queries one of the server's own limits allows (0 in a setting means unlimited),
    memory included: as many transactions as fit their whole limit into the total."""
    limits = []
    for record in _scalar(driver, LIMITS_QUERY):
        try:
            value = int(record["value"])
        except (TypeError, ValueError):
            continue
        if value > 0:
            limits.append(value)
    memory = {record["name"]: parse_bytes(record["value"]) for record in _scalar(driver, MEMORY_QUERY)}
    each, total = memory.get("db.memory.transaction.max"), memory.get("dbms.memory.transaction.total.max")
    if each and total:  # 0 means unlimited
        limits.append(max(1, total // each))
    return min(limits) if limits else None


def is_local(uri: str | None) -> bool:
    return uri is None or urlsplit(uri).hostname in LOCAL_HOSTS


def judge_workers(driver, requested: int | None = None, uri: str | None = None) -> int:
    """`requested` if given (`--judge-workers`, HARNESS_JUDGE_WORKERS), else from the server's cores, bounded."""
    if requested:
        return requested
    if is_local(uri):
        workers = min(LOCAL_PER_CORE * server_cores(driver, uri) + LOCAL_EXTRA, MOST)
    else:
        workers = min(REMOTE_PER_CORE * server_cores(driver, uri), MOST)
    limit = server_limit(driver)
    return max(1, min(workers, limit) if limit else workers)
