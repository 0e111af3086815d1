"""The `docker` backend: a Neo4j image through testcontainers.

For users with a Docker engine. The official image is the default; HARNESS_NEO4J_IMAGE selects
another one with the same contract (scripts/build_neo4j_image.py builds one without a registry).

Cleanup does not depend on testcontainers' reaper (Ryuk), whose image may not be pullable:
- `db up` containers must outlive the command, so Ryuk is always off for them; `db down` removes
  the container and its volumes by id.
- one-shot containers (tests, `provision.ephemeral`) are removed explicitly when their `with` block
  ends, and a watchdog process (docker_reaper.py) removes them if their owner dies, even on kill -9.
  Ryuk also reaps them when TESTCONTAINERS_RYUK_DISABLED is not true and its image is available.
Every harness container carries the CONTAINER_LABEL label, so leftovers can be found.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass

from ..errors import Neo4jUnavailable
from .instance import Neo4jInstance
from .jvm import SAFETY_FLAGS
from .version import DOCKER_IMAGE, NEO4J_VERSION

IMAGE_ENV = "HARNESS_NEO4J_IMAGE"
CONTAINER_LABEL = "org.oncograph-harness.neo4j"  # value: db-up-<token> or one-shot-<pid>-<token>
READY_TIMEOUT_S = 180


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def neo4j_image() -> str:
    return os.environ.get(IMAGE_ENV) or DOCKER_IMAGE


def _client(timeout_s: float = 60.0):
    import docker

    return docker.from_env(timeout=timeout_s)


def _one_line(exc: BaseException) -> str:
    explanation = getattr(exc, "explanation", None) or str(exc) or type(exc).__name__
    return " ".join(str(explanation).split())


def engine_available(timeout_s: float = 2.0) -> bool:
    """True when a Docker engine answers a ping (the client alone is not enough)."""
    try:
        client = _client(timeout_s)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def require_engine() -> None:
    if not engine_available():
        raise Neo4jUnavailable(
            "the docker backend was asked for but no Docker engine answers: start Docker, "
            "or use --neo4j jvm (Java 17+ and Maven) or NEO4J_URI"
        )


def image_present(image: str) -> bool:
    from docker.errors import ImageNotFound

    client = _client()
    try:
        client.images.get(image)
        return True
    except ImageNotFound:
        return False
    finally:
        client.close()


def ensure_image(image: str) -> None:
    """The image is present locally or pulled now; otherwise one error line naming the ways out."""
    from docker.errors import DockerException

    if image_present(image):
        return
    client = _client()
    try:
        client.images.pull(image)
    except DockerException as exc:
        raise Neo4jUnavailable(
            f"the Neo4j image {image} is not available locally and could not be pulled ({_one_line(exc)}): "
            f"build one with `python scripts/build_neo4j_image.py` and set {IMAGE_ENV}, or use --neo4j jvm"
        ) from None
    finally:
        client.close()


EMPTY_IMPORT_DIR = "/var/lib/neo4j/import-empty"  # made empty and read-only when the container starts


def env_name(setting: str) -> str:
    """A Neo4j setting as the image reads it from the environment (dots become `_`, underscores `__`)."""
    return "NEO4J_" + setting.replace("_", "__").replace(".", "_")


def container_env(settings) -> dict[str, str]:
    """Neo4j settings as the image reads them, the sandbox's (jvm.ServerSettings.safety_lines) included."""
    env = {
        "NEO4J_server_memory_heap_max__size": settings.heap,
        "NEO4J_server_memory_heap_initial__size": settings.heap,
        "NEO4J_server_memory_pagecache_size": settings.pagecache,
        "NEO4J_db_transaction_timeout": settings.transaction_timeout,
        "NEO4J_db_memory_transaction_max": settings.transaction_memory_max,
        "NEO4J_dbms_memory_transaction_total_max": settings.total_transaction_memory_max,
        "NEO4J_dbms_usage__report_enabled": "false",
        # the JVM's flags (images/neo4j splits them at blanks; one environment line, as `env` lists them)
        "NEO4J_server_jvm_additional": " ".join(SAFETY_FLAGS),
    }
    for line in settings.safety_lines(EMPTY_IMPORT_DIR):
        name, _, value = line.partition("=")
        env[env_name(name)] = value
    return env


def container_spec(settings, password: str, owner: str, host_port: int | None = None) -> dict:
    """Everything the container is started with; kept apart so it can be checked without an engine.

    Bolt is bound to a host port chosen here, so that a restarted container (runner/healing.py) answers
    at the same address and the run's driver goes on using it."""
    return {
        "image": neo4j_image(),
        "port": 7687,
        "host_port": host_port,
        "password": password,
        "env": container_env(settings),
        "labels": {CONTAINER_LABEL: owner},
    }


def build_container(spec: dict):
    from testcontainers.community.neo4j import Neo4jContainer

    container = Neo4jContainer(spec["image"], port=spec["port"], password=spec["password"])
    for key, value in spec["env"].items():
        container.with_env(key, value)
    if spec.get("host_port"):
        container.with_bind_ports(spec["port"], spec["host_port"])
    return container.with_kwargs(labels=spec["labels"])


@dataclass
class DockerHandle:
    """A one-shot container and the watchdog that removes it if we die first."""

    container_id: str
    reaper: subprocess.Popen | None


def start_reaper(owner: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "harness.graph.docker_reaper", CONTAINER_LABEL, owner],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C in our terminal must not stop it before we are gone
    )


def _start_container(container, *, ryuk: bool) -> None:
    from testcontainers.core.config import testcontainers_config as tc

    configured = tc.ryuk_disabled
    tc.ryuk_disabled = configured or not ryuk
    if "TC_MAX_TRIES" not in os.environ:
        tc.max_tries = int(READY_TIMEOUT_S / tc.sleep_time)
    try:
        container.start()
    except Exception as exc:
        hint = (
            ": set TESTCONTAINERS_RYUK_DISABLED=true (the harness removes its containers itself)"
            if tc.ryuk_image in str(exc)
            else ""
        )
        raise Neo4jUnavailable(f"the Neo4j container {container.image} did not start: {_one_line(exc)}{hint}") from None
    finally:
        tc.ryuk_disabled = configured


def start(settings, *, detached: bool) -> tuple[Neo4jInstance, DockerHandle]:
    require_engine()
    image = neo4j_image()
    ensure_image(image)
    owner = f"db-up-{secrets.token_hex(6)}" if detached else f"one-shot-{os.getpid()}-{secrets.token_hex(6)}"
    reaper = None if detached else start_reaper(owner)
    password = secrets.token_hex(16)  # never starts with "-", which entry points could take for an option
    container = build_container(container_spec(settings, password, owner, free_port()))
    started = False
    try:
        _start_container(container, ryuk=not detached)
        started = True
    finally:
        if not started:
            _remove_labelled(owner)
            _close_reaper(reaper)
    container_id = container.get_wrapped_container().id
    instance = Neo4jInstance(
        backend="docker",
        uri=container.get_connection_url(),
        version=NEO4J_VERSION,
        user="neo4j",
        password=password,
        container_id=container_id,
    )
    return instance, DockerHandle(container_id, reaper)


def _remove_labelled(owner: str) -> None:
    """Remove whatever a failed start left behind (a created container that never became ready)."""
    try:
        client = _client()
        for leftover in client.containers.list(all=True, filters={"label": f"{CONTAINER_LABEL}={owner}"}):
            leftover.remove(force=True, v=True)
        client.close()
    except Exception:
        pass


def _close_reaper(reaper: subprocess.Popen | None) -> None:
    if reaper is not None and reaper.stdin:
        reaper.stdin.close()
        try:
            reaper.wait(timeout=60)
        except subprocess.TimeoutExpired:
            reaper.kill()


def stop(instance: Neo4jInstance, handle: object = None) -> None:
    """Remove the container and its volumes (the database lives in them). Gone already is fine."""
    from docker.errors import DockerException, NotFound

    try:
        if instance.container_id:
            client = _client()
            try:
                client.containers.get(instance.container_id).remove(force=True, v=True)
            except NotFound:
                pass
            finally:
                client.close()
    except DockerException as exc:
        raise Neo4jUnavailable(
            f"could not remove container {(instance.container_id or '')[:12]}: {_one_line(exc)}"
        ) from None
    finally:
        _close_reaper(handle.reaper if isinstance(handle, DockerHandle) else None)


def restart(instance: Neo4jInstance, *, ready_timeout_s: float = READY_TIMEOUT_S) -> None:
    """Kill and start the same container again (its volumes keep the data), then wait until Bolt answers."""
    from docker.errors import DockerException

    try:
        client = _client()
        try:
            container = client.containers.get(instance.container_id)
            if container.status == "running":
                container.kill()
            container.start()
        finally:
            client.close()
    except DockerException as exc:
        raise Neo4jUnavailable(
            f"could not restart container {(instance.container_id or '')[:12]}: {_one_line(exc)}"
        ) from None
    wait_for_bolt(instance, ready_timeout_s)


def wait_for_bolt(instance: Neo4jInstance, timeout_s: float) -> None:
    from neo4j import GraphDatabase

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with GraphDatabase.driver(instance.uri, auth=instance.auth, connection_timeout=2.0) as driver:
                driver.verify_connectivity()
            return
        except Exception as exc:
            if time.monotonic() > deadline:
                raise Neo4jUnavailable(
                    f"the restarted container {(instance.container_id or '')[:12]} did not answer within "
                    f"{timeout_s:.0f}s: {_one_line(exc)}"
                ) from None
            time.sleep(0.5)


def container_state(container_id: str | None) -> str:
    """`running`, `exited`, ... as Docker reports it; `missing` when gone, `unknown` when no engine answers."""
    from docker.errors import DockerException, NotFound

    if not container_id:
        return "missing"
    try:
        client = _client(5.0)
        try:
            return client.containers.get(container_id).status
        finally:
            client.close()
    except NotFound:
        return "missing"
    except DockerException:
        return "unknown"


def logs(instance: Neo4jInstance, lines: int = 50) -> str:
    from docker.errors import DockerException

    try:
        client = _client(10.0)
        try:
            return client.containers.get(instance.container_id).logs(tail=lines).decode(errors="replace")
        finally:
            client.close()
    except DockerException as exc:
        raise Neo4jUnavailable(
            f"no logs from container {(instance.container_id or '')[:12]}: {_one_line(exc)}"
        ) from None


def harness_containers() -> list[str]:
    """Ids of every container the harness started that still exists (for leak checks)."""
    client = _client(10.0)
    try:
        return [c.id for c in client.containers.list(all=True, filters={"label": CONTAINER_LABEL})]
    finally:
        client.close()
