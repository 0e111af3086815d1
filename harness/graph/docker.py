"""The `docker` backend: the pinned Neo4j image through testcontainers.

For users with a Docker engine. `db up` disables Ryuk (the reaper that removes a
container when its creating process exits) so the server outlives the command;
`db down` removes it by id.
"""

from __future__ import annotations

import os
import secrets

from ..errors import Neo4jUnavailable
from .instance import Neo4jInstance
from .version import DOCKER_IMAGE, NEO4J_VERSION


def engine_available(timeout_s: float = 2.0) -> bool:
    """True when a Docker engine answers a ping (the client alone is not enough)."""
    try:
        import docker

        client = docker.from_env(timeout=timeout_s)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def container_env(settings) -> dict[str, str]:
    """Neo4j settings as the image reads them (dots become `_`, underscores `__`)."""
    return {
        "NEO4J_server_memory_heap_max__size": settings.heap,
        "NEO4J_server_memory_heap_initial__size": settings.heap,
        "NEO4J_server_memory_pagecache_size": settings.pagecache,
        "NEO4J_db_transaction_timeout": settings.transaction_timeout,
        "NEO4J_db_memory_transaction_max": settings.transaction_memory_max,
        "NEO4J_dbms_memory_transaction_total_max": settings.total_transaction_memory_max,
        "NEO4J_dbms_usage__report_enabled": "false",
    }


def container_spec(settings, password: str) -> dict:
    """Everything the container is started with; kept apart so it can be checked without an engine."""
    return {"image": DOCKER_IMAGE, "port": 7687, "password": password, "env": container_env(settings)}


def build_container(settings, password: str):
    from testcontainers.community.neo4j import Neo4jContainer

    spec = container_spec(settings, password)
    container = Neo4jContainer(spec["image"], port=spec["port"], password=spec["password"])
    for key, value in spec["env"].items():
        container.with_env(key, value)
    return container


def start(settings, *, detached: bool) -> tuple[Neo4jInstance, object]:
    if not engine_available():
        raise Neo4jUnavailable(
            "the docker backend was asked for but no Docker engine answers: start Docker, "
            "or use --neo4j jvm (Java 17+ and Maven) or NEO4J_URI"
        )
    if detached:
        os.environ["TESTCONTAINERS_RYUK_DISABLED"] = "true"
    password = secrets.token_urlsafe(18)
    container = build_container(settings, password)
    try:
        container.start()
    except Exception as exc:
        raise Neo4jUnavailable(f"the Neo4j container {DOCKER_IMAGE} did not start: {exc}") from None
    instance = Neo4jInstance(
        backend="docker",
        uri=container.get_connection_url(),
        version=NEO4J_VERSION,
        user="neo4j",
        password=password,
        container_id=container.get_wrapped_container().id,
    )
    return instance, container


def stop(instance: Neo4jInstance, handle: object = None) -> None:
    if handle is not None:
        handle.stop()
        return
    if instance.container_id:
        try:
            import docker

            docker.from_env().containers.get(instance.container_id).remove(force=True)
        except Exception:
            pass


def logs(instance: Neo4jInstance, lines: int = 50) -> str:
    import docker

    container = docker.from_env().containers.get(instance.container_id)
    return container.logs(tail=lines).decode(errors="replace")
