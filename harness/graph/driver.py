"""Opening a neo4j driver for an instance, with failures turned into one-line errors."""

from __future__ import annotations

import logging

from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, ServiceUnavailable

from ..errors import Neo4jUnavailable
from .instance import Neo4jInstance

logging.getLogger("neo4j").setLevel(logging.ERROR)


def open_driver(instance: Neo4jInstance, *, check: bool = True):
    driver = GraphDatabase.driver(
        instance.uri,
        auth=instance.auth,
        connection_timeout=5.0,
        connection_acquisition_timeout=30.0,
        warn_notification_severity="OFF",
    )
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
            raise Neo4jUnavailable(
                f"Neo4j at {instance.uri} is unreachable: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
            ) from None
    return driver


def server_version(driver) -> str:
    records, _, _ = driver.execute_query("CALL dbms.components() YIELD name, versions RETURN versions[0] AS v")
    return records[0]["v"] if records else "unknown"
