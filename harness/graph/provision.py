"""Choosing, starting, finding and stopping Neo4j: backends uri, docker, jvm and auto."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from ..errors import Neo4jUnavailable
from ..paths import home_dir
from . import docker as docker_backend
from . import jvm
from .driver import answers
from .instance import Neo4jInstance, clear_record, kill_pid, load_record, save_record, state_lock, terminate_pid
from .version import NEO4J_VERSION

BACKENDS = ("auto", "uri", "docker", "jvm")
BOLT_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
READY_MARK = "HARNESS_NEO4J_READY"
WEDGED_AFTER_S = 30.0  # a recorded server alive but silent this long is restarted by `db up`


def backend_option(option: str | None) -> str:
    choice = (option or os.environ.get("HARNESS_NEO4J") or "auto").lower()
    if choice not in BACKENDS:
        raise Neo4jUnavailable(f"unknown Neo4j backend {choice!r}: choose one of {', '.join(BACKENDS)}")
    return choice


def choose_backend(option: str | None) -> str:
    """Resolve `auto`: uri if NEO4J_URI is set, docker if an engine answers and has the image, else jvm."""
    choice = backend_option(option)
    if choice != "auto":
        return choice
    if os.environ.get("NEO4J_URI"):
        return "uri"
    engine = docker_backend.engine_available()
    # An engine without the image (no registry, or never pulled) would fail where the jvm backend works:
    # docker then wins only when there is no Java and Maven to fall back on.
    if engine and docker_backend.image_present(docker_backend.neo4j_image()):
        return "docker"
    if _jvm_available():
        return "jvm"
    if engine:
        return "docker"
    raise Neo4jUnavailable(
        "no way to get a Neo4j: set NEO4J_URI to an existing server, start a Docker engine, "
        "or install Java 17+ and Maven for the jvm backend"
    )


def _jvm_available() -> bool:
    try:
        jvm.find_java()
        jvm.find_maven()
    except Neo4jUnavailable:
        return False
    return True


def uri_instance() -> Neo4jInstance:
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        raise Neo4jUnavailable("the uri backend needs NEO4J_URI (and NEO4J_USER/NEO4J_PASSWORD if auth is on)")
    scheme, _, rest = uri.partition("://")
    if scheme.lower() not in BOLT_SCHEMES or not rest.strip("/"):
        raise Neo4jUnavailable(
            f"NEO4J_URI {uri!r} is not a Bolt address: use bolt://HOST:7687 or neo4j://HOST:7687 "
            f"(schemes: {', '.join(BOLT_SCHEMES)})"
        )
    user = os.environ.get("NEO4J_USER") or os.environ.get("NEO4J_USERNAME")
    password = os.environ.get("NEO4J_PASSWORD")
    if password and not user:
        user = "neo4j"
    return Neo4jInstance(backend="uri", uri=uri, user=user, password=password, owned=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(proc: subprocess.Popen, instance: Neo4jInstance, timeout_s: float) -> None:
    log = Path(instance.log or "")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if log.exists() and READY_MARK in log.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            raise Neo4jUnavailable(f"Neo4j exited with code {proc.returncode} while starting", instance.log_tail())
        time.sleep(0.1)
    raise Neo4jUnavailable(f"Neo4j did not become ready within {timeout_s:.0f}s", instance.log_tail())


def start_jvm(
    settings: jvm.ServerSettings | None = None, *, detached: bool, ready_timeout_s: float = 180
) -> tuple[Neo4jInstance, subprocess.Popen]:
    """Start Neo4j as a child JVM. Detached servers outlive us (`db up`); others die with our stdin pipe."""
    settings = settings or jvm.ServerSettings()
    data_root = home_dir() / "data"
    data_root.mkdir(exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="neo4j-", dir=data_root))
    port = free_port()
    import_dir = home / "import"  # LOAD CSV's only folder: empty, and not writable by the server
    import_dir.mkdir(mode=0o500)
    (home / "neo4j.conf").write_text("\n".join(settings.config_lines(port, str(import_dir))) + "\n")
    instance = Neo4jInstance(
        backend="jvm",
        uri=f"bolt://127.0.0.1:{port}",
        version=NEO4J_VERSION,
        home=str(home),
        log=str(home / "stdout.log"),
    )
    try:
        proc = _launch_jvm(instance, settings, detached=detached, ready_timeout_s=ready_timeout_s)
    except BaseException:
        shutil.rmtree(home, ignore_errors=True)
        raise
    return instance, proc


def _launch_jvm(
    instance: Neo4jInstance, settings: jvm.ServerSettings, *, detached: bool, ready_timeout_s: float
) -> subprocess.Popen:
    """Run the JVM on the instance's home (its config and data) and wait until it serves Bolt."""
    java, classpath = jvm.ensure_runtime()
    home = Path(instance.home or "")
    log = home / "stdout.log"
    if log.exists():  # a restart: readiness is read from a fresh log, the old one is kept beside it
        os.replace(log, home / "stdout.previous.log")
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            jvm.jvm_command(java, classpath, home, home / "neo4j.conf", settings, watch=not detached),
            stdin=subprocess.DEVNULL if detached else subprocess.PIPE,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=detached,
        )
    instance.pid = proc.pid
    try:
        _wait_ready(proc, instance, ready_timeout_s)
    except BaseException:
        terminate_pid(proc.pid, grace_s=5)
        raise
    return proc


def restart(instance: Neo4jInstance, *, ready_timeout_s: float = 180) -> None:
    """Start a harness-owned server again on the same data (after a crash or a hang); updates `instance`.

    The old process or container is killed first (a stopped JVM included). A `db up` server's record
    is rewritten when it is the recorded one, so later commands find the new process.
    """
    if instance.backend == "jvm" and instance.home:
        if instance.pid:
            kill_pid(instance.pid)
        _launch_jvm(instance, jvm.ServerSettings(), detached=True, ready_timeout_s=ready_timeout_s)
    elif instance.backend == "docker":
        docker_backend.restart(instance, ready_timeout_s=ready_timeout_s)
    else:
        raise Neo4jUnavailable(f"the {instance.backend} server at {instance.uri} is not the harness's to restart")
    recorded = load_record()
    if recorded and recorded.uri == instance.uri and recorded.backend == instance.backend:
        save_record(instance)


def start(backend: str, *, detached: bool, settings: jvm.ServerSettings | None = None) -> tuple[Neo4jInstance, object]:
    """Start a harness-owned Neo4j; returns the instance and a handle to stop it."""
    if backend == "jvm":
        return start_jvm(settings, detached=detached)
    if backend == "docker":
        return docker_backend.start(settings or jvm.ServerSettings(), detached=detached)
    raise Neo4jUnavailable(f"the {backend} backend does not start servers")


def stop(instance: Neo4jInstance, handle: object = None) -> None:
    """Stop a harness-owned server and remove its data; a `uri` server is never touched."""
    if instance.backend == "jvm" and instance.pid:
        if isinstance(handle, subprocess.Popen) and handle.stdin:
            handle.stdin.close()
        terminate_pid(instance.pid)
        if isinstance(handle, subprocess.Popen):
            handle.wait(timeout=30)
        if instance.home:
            shutil.rmtree(instance.home, ignore_errors=True)
    elif instance.backend == "docker":
        docker_backend.stop(instance, handle)


@contextmanager
def ephemeral(backend: str = "jvm", settings: jvm.ServerSettings | None = None):
    """A Neo4j that lives exactly as long as the `with` block (tests, one-shot commands)."""
    instance, handle = start(backend, detached=False, settings=settings)
    try:
        yield instance
    finally:
        stop(instance, handle)


def up(option: str | None, settings: jvm.ServerSettings | None = None) -> tuple[Neo4jInstance, bool]:
    """`db up`: reuse the recorded server if alive, else start one and record it. Returns (instance, reused)."""
    with state_lock("db up"):
        return _up(option, settings)


def _up(option: str | None, settings: jvm.ServerSettings | None) -> tuple[Neo4jInstance, bool]:
    existing = load_record()
    if existing and is_alive(existing):
        if answers(existing, WEDGED_AFTER_S):
            return existing, True
        restart(existing)  # alive but wedged (stopped, out of memory): the same data, a new process
        return existing, False
    if existing and existing.backend == "docker" and docker_backend.container_state(existing.container_id) != "unknown":
        docker_backend.stop(existing)  # a stopped container would otherwise keep its data
    clear_record()
    backend = choose_backend(option)
    if backend == "uri":
        raise Neo4jUnavailable("`db up` starts a server; with NEO4J_URI set, commands use that server directly")
    instance, _ = start(backend, detached=True, settings=settings)
    save_record(instance)
    return instance, False


def is_alive(instance: Neo4jInstance) -> bool:
    """A recorded server still runs: its JVM process, or its container as the engine reports it."""
    if instance.backend == "docker":
        return docker_backend.container_state(instance.container_id) == "running"
    return instance.alive()


def down() -> Neo4jInstance | None:
    with state_lock("db down"):
        instance = load_record()
        if instance is None:
            return None
        stop(instance)
        clear_record()
        return instance


def current(option: str | None = None) -> Neo4jInstance:
    """The server later commands use: NEO4J_URI (uri backend), else the one `db up` recorded."""
    choice = backend_option(option)
    if choice == "uri" or (choice == "auto" and os.environ.get("NEO4J_URI")):
        return uri_instance()
    record = load_record()
    if record and is_alive(record) and choice in ("auto", record.backend):
        return record
    raise Neo4jUnavailable(
        "no Neo4j is running: start one with `harness db up`, or set NEO4J_URI to an existing server"
    )
