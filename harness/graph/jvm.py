"""The `jvm` backend: pinned Neo4j jars from Maven Central, run as a child JVM.

The jars are resolved once with Maven into the cache folder; a tiny launcher
(HarnessNeo4j.java) wraps DatabaseManagementServiceBuilder with Bolt enabled and
reads a generated neo4j.conf. In `watch` mode the JVM exits when our stdin pipe
closes, so a crashed or killed parent never leaves an orphaned server behind.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ..errors import Neo4jUnavailable
from ..paths import cache_dir
from .version import NEO4J_VERSION

ADD_OPENS = [
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED",
]

POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>oncograph-harness</groupId><artifactId>neo4j-runtime</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.neo4j</groupId><artifactId>neo4j</artifactId><version>{version}</version></dependency>
  </dependencies>
</project>
"""


CLOSED_PORT = 1  # tcpmux: nothing listens on it, so a proxy there refuses every outbound connection
# Outbound connections from the server's JVM all go to a proxy that refuses them (URL fetches of any
# scheme Java supports, and plain sockets through SOCKS); localhost is not exempt (nonProxyHosts empty).
NO_EGRESS_FLAGS = [
    *(f"-D{scheme}.proxyHost=127.0.0.1" for scheme in ("http", "https", "ftp")),
    *(f"-D{scheme}.proxyPort={CLOSED_PORT}" for scheme in ("http", "https", "ftp")),
    "-Dhttp.nonProxyHosts=",
    "-Dftp.nonProxyHosts=",
    "-DsocksProxyHost=127.0.0.1",
    f"-DsocksProxyPort={CLOSED_PORT}",
]
# An OutOfMemoryError leaves a JVM's state undefined (Bolt threads die, the process lives on): end it,
# so that the harness sees a dead server and restarts it (runner/healing.py) instead of a half-alive one.
SAFETY_FLAGS = ["-XX:+ExitOnOutOfMemoryError", *NO_EGRESS_FLAGS]
# Every address LOAD CSV (and any URL-loading procedure) may reach, blocked in the server itself.
BLOCK_ALL_ADDRESSES = "0.0.0.0/0,::/0"
# Bolt keep-alive: the server sends a NOOP every few seconds while a query runs and tells the driver
# (hint connection.recv_timeout_seconds) to give up on a connection that stays silent longer: a server
# that stops answering is then an error within seconds, not a wait without end.
KEEP_ALIVE = "5s"
KEEP_ALIVE_PROBES = 3


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


@dataclass
class ServerSettings:
    """Memory and safety limits of a harness-started Neo4j (all configurable).

    Sized together: all transactions' tracked memory (`total_transaction_memory_max`) stays within half
    the heap, and one transaction's limit is a quarter of that, so four judge transactions at once (the
    judge's default width on a 2-3 core server; runner/workers.py never exceeds total / per-transaction)
    each get their whole limit. Memory a query uses outside the pool ends in an OutOfMemoryError, which
    ends the JVM (SAFETY_FLAGS) for a restart.
    """

    heap: str = field(default_factory=lambda: _env("HARNESS_NEO4J_HEAP", "1g"))
    pagecache: str = field(default_factory=lambda: _env("HARNESS_NEO4J_PAGECACHE", "512m"))
    transaction_timeout: str = field(default_factory=lambda: _env("HARNESS_NEO4J_TX_TIMEOUT", "60s"))
    transaction_memory_max: str = field(default_factory=lambda: _env("HARNESS_NEO4J_TX_MEMORY", "128m"))
    total_transaction_memory_max: str = field(default_factory=lambda: _env("HARNESS_NEO4J_TX_TOTAL_MEMORY", "512m"))

    def safety_lines(self, import_dir: str) -> list[str]:
        """What keeps an untrusted query inside the server: no files, no addresses, no silent hang."""
        return [
            "dbms.security.allow_csv_import_from_file_urls=false",
            f"server.directories.import={import_dir}",
            f"internal.dbms.cypher_ip_blocklist={BLOCK_ALL_ADDRESSES}",
            "server.bolt.connection_keep_alive_for_requests=ALL",
            f"server.bolt.connection_keep_alive={KEEP_ALIVE}",
            f"server.bolt.connection_keep_alive_probes={KEEP_ALIVE_PROBES}",
            f"server.bolt.connection_keep_alive_streaming_scheduling_interval={KEEP_ALIVE}",
        ]

    def config_lines(self, port: int, import_dir: str = "import") -> list[str]:
        return [
            "server.bolt.enabled=true",
            f"server.bolt.listen_address=127.0.0.1:{port}",
            "server.http.enabled=false",
            "server.https.enabled=false",
            "dbms.security.auth_enabled=false",
            f"server.memory.pagecache.size={self.pagecache}",
            f"db.transaction.timeout={self.transaction_timeout}",
            f"db.memory.transaction.max={self.transaction_memory_max}",
            f"dbms.memory.transaction.total.max={self.total_transaction_memory_max}",
            "dbms.usage_report.enabled=false",
            *self.safety_lines(import_dir),
        ]


def _java_home_bin(tool: str) -> str | None:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / tool).exists():
        return str(Path(java_home) / "bin" / tool)
    return shutil.which(tool)


def find_java() -> tuple[str, str]:
    """Return (java, javac) of a JDK 17 or newer, or raise naming the fix."""
    java, javac = _java_home_bin("java"), _java_home_bin("javac")
    fix = "install a JDK 17+ (e.g. `apt-get install openjdk-17-jdk-headless`) or set JAVA_HOME, or use --neo4j docker / NEO4J_URI"
    if not java or not javac:
        raise Neo4jUnavailable(f"the jvm backend needs Java 17+ (java and javac) on PATH: {fix}")
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    match = re.search(r'version "(\d+)', out)
    if not match or int(match.group(1)) < 17:
        raise Neo4jUnavailable(f"the jvm backend needs Java 17+, found {out.splitlines()[0] if out else java}: {fix}")
    return java, javac


def find_maven() -> str:
    mvn = shutil.which("mvn")
    if not mvn:
        raise Neo4jUnavailable(
            "the jvm backend needs Maven (`mvn`) to fetch the Neo4j jars: install it (e.g. `apt-get install maven`), "
            "or use --neo4j docker / NEO4J_URI"
        )
    return mvn


@contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def runtime_dir() -> Path:
    return cache_dir() / f"neo4j-{NEO4J_VERSION}"


def ensure_runtime() -> tuple[str, str]:
    """Resolve the jars and compile the launcher once; return (java, classpath)."""
    java, javac = find_java()
    root = runtime_dir()
    lib, launcher = root / "lib", root / "launcher"
    with _locked(root.parent / f".neo4j-{NEO4J_VERSION}.lock"):
        if not (lib / ".complete").exists():
            mvn = find_maven()
            with tempfile.TemporaryDirectory(dir=root.parent) as tmp:
                (Path(tmp) / "pom.xml").write_text(POM.format(version=NEO4J_VERSION))
                result = subprocess.run(
                    [
                        mvn,
                        "-q",
                        "-B",
                        "dependency:copy-dependencies",
                        "-DincludeScope=runtime",
                        f"-DoutputDirectory={tmp}/lib",
                    ],
                    cwd=tmp,
                    capture_output=True,
                    text=True,
                )
                if result.returncode != 0:
                    tail = " ".join((result.stdout + result.stderr).split()[-40:])
                    raise Neo4jUnavailable(f"Maven could not fetch Neo4j {NEO4J_VERSION} jars: {tail}")
                (Path(tmp) / "lib" / ".complete").write_text(NEO4J_VERSION)
                if lib.exists():
                    shutil.rmtree(lib)
                root.mkdir(parents=True, exist_ok=True)
                os.replace(Path(tmp) / "lib", lib)
        source = resources.files("harness.graph.launcher").joinpath("HarnessNeo4j.java").read_text()
        stamp = launcher / "source.java"
        if not stamp.exists() or stamp.read_text() != source:
            launcher.mkdir(parents=True, exist_ok=True)
            (launcher / "HarnessNeo4j.java").write_text(source)
            result = subprocess.run(
                [javac, "-cp", f"{lib}/*", "-d", str(launcher), str(launcher / "HarnessNeo4j.java")],
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                raise Neo4jUnavailable(f"could not compile the Neo4j launcher: {result.stderr.strip()[-400:]}")
            stamp.write_text(source)
    return java, f"{lib}/*{os.pathsep}{launcher}"


def jvm_command(java: str, classpath: str, home: Path, conf: Path, settings: ServerSettings, watch: bool) -> list[str]:
    command = [
        java,
        f"-Xmx{settings.heap}",
        "-XX:+UseG1GC",
        *SAFETY_FLAGS,
        *ADD_OPENS,
        "-cp",
        classpath,
        "HarnessNeo4j",
        str(home),
        str(conf),
    ]
    return command + (["--watch-stdin"] if watch else [])
