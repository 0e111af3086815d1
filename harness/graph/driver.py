"""Opening a neo4j driver for an instance, with failures turned into one-line errors."""

from __future__ import annotations

import logging

from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, ConfigurationError, ServiceUnavailable

from ..errors import Neo4jUnavailable
from .instance import Neo4jInstance

# The driver logs each dead connection at ERROR on stderr; the harness reports them as one line itself.
logging.getLogger("neo4j").setLevel(logging.CRITICAL)


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
