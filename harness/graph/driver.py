"""Opening a neo4j driver for an instance, with failures turned into one-line errors."""

from __future__ import annotations

import logging
import socket
import threading

from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, ConfigurationError, ServiceUnavailable

from ..errors import Neo4jUnavailable
from .instance import Neo4jInstance

# The driver logs each dead connection at ERROR on stderr; the harness reports them as one line itself.
logging.getLogger("neo4j").setLevel(logging.CRITICAL)
PROBE_S = 10.0  # how long a server may take to answer a probe before it counts as not answering


def one_line(exc: Exception) -> str:
    """The driver's message on one line, whole (its first line often ends in ':')."""
    return " ".join(str(exc).split())[:400] or type(exc).__name__


def open_driver(instance: Neo4jInstance, *, check: bool = True):
    try:
        driver = GraphDatabase.driver(
            instance.uri,
            auth=instance.auth,
            connection_timeout=5.0,
            connection_acquisition_timeout=30.0,
            warn_notification_severity="OFF",
        )
    except (ConfigurationError, ValueError, ImportError) as exc:
        raise Neo4jUnavailable(f"cannot use Neo4j address {instance.uri!r}: {one_line(exc)}") from None
    if check:
        try:
            driver.verify_connectivity()
        except AuthError as exc:
            driver.close()
            raise Neo4jUnavailable(
                f"Neo4j at {instance.uri} refused the credentials: set NEO4J_USER/NEO4J_PASSWORD ({exc.message})"
            ) from None
        except (ServiceUnavailable, OSError, ValueError) as exc:
            driver.close()
            raise Neo4jUnavailable(f"Neo4j at {instance.uri} is unreachable: {one_line(exc)}") from None
    return driver


def server_version(driver) -> str:
    records, _, _ = driver.execute_query("CALL dbms.components() YIELD name, versions RETURN versions[0] AS v")
    return records[0]["v"] if records else "unknown"


def call_with_deadline(call, timeout_s: float, default=None):
    """`call()` in a daemon thread; `default` when it has not returned within `timeout_s` (a server that
    stops answering must not hold the caller: the thread is left to the socket's own end)."""
    box: list = []

    def target() -> None:
        try:
            box.append((True, call()))
        except BaseException as exc:  # handed to the caller below
            box.append((False, exc))

    thread = threading.Thread(target=target, name="neo4j-deadline", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if not box:
        return default
    ok, value = box[0]
    if not ok:
        raise value
    return value


def answers(instance: Neo4jInstance, timeout_s: float = PROBE_S) -> bool:
    """Whether the server answers Bolt (handshake, HELLO, a trivial query) within `timeout_s`.

    A fresh driver each time: the pool of a long-lived driver may hold connections to a server that
    has stopped answering. A process that is alive but wedged (stopped, out of memory) says False."""

    def probe() -> bool:
        with GraphDatabase.driver(
            instance.uri, auth=instance.auth, connection_timeout=timeout_s, connection_acquisition_timeout=timeout_s
        ) as driver:
            driver.execute_query("RETURN 1")
        return True

    try:
        return bool(call_with_deadline(probe, timeout_s, default=False))
    except Exception:
        return False


def sever(driver) -> None:
    """Shut down every socket of the driver's pool, those in use included, so that threads blocked
    reading from a server that stopped answering wake up with an error now (Ctrl-C, a lost server).
    The pool opens new connections on the next use. Reaches into the driver's pool: best effort."""
    pool = getattr(driver, "_pool", None)
    for connections in list(getattr(pool, "connections", {}).values()):
        for connection in list(connections):
            raw = getattr(getattr(connection, "socket", None), "_socket", None)
            if isinstance(raw, socket.socket):
                try:
                    raw.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
