"""A real two-node Ray cluster on this machine for the `ray` tests: a head and a second node (`ray start
--address`), each in a process group of its own, every node at 127.0.0.1.

Ray advertises the machine's network address even when told 127.0.0.1, so these tests run inside a
network namespace that has only loopback (`make test-ray`: `unshare -n`, then `ip link set lo up`);
`in_loopback_namespace()` tells whether this process is in one. Stopping kills each node's process
group and every process found under the nodes, by PID (never `ray stop`, which would stop every Ray
on the machine), and runs however the test ended.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RAY = Path(sys.executable).parent / "ray"
START_TIMEOUT_S = 120.0


def in_loopback_namespace() -> bool:
    """True when this network namespace has no interface but loopback (`unshare -n`).

    (socket.if_nameindex asks the kernel about this process's namespace; /sys/class/net may show another.)"""
    return [name for _, name in socket.if_nameindex()] == ["lo"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Node:
    def __init__(self, name: str, process: subprocess.Popen, log: Path):
        self.name, self.process, self.log = name, process, log
        self.seen: set[int] = {process.pid}
        self.killed = False

    def processes(self) -> set[int]:
        """Every live process of this node: its process group and whatever descends from its `ray start`."""
        import psutil

        found = set()
        for proc in psutil.process_iter(["pid"]):
            with contextlib.suppress(psutil.Error):
                if os.getpgid(proc.pid) == self.process.pid:
                    found.add(proc.pid)
        with contextlib.suppress(psutil.Error):
            found |= {child.pid for child in psutil.Process(self.process.pid).children(recursive=True)}
        self.seen |= found
        return found

    def kill(self) -> None:
        """SIGKILL to the node's group and to each process it started: the node is gone at once."""
        self.killed = True
        pids = self.processes()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)


class LocalCluster:
    """`address`, `env` (what a driver process needs), `nodes` (head first), `kill_node(i)`, `stop()`."""

    def __init__(self, replica_resource: str = "replica_slot"):
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.temp = Path(tempfile.mkdtemp(prefix="ray-", dir="/tmp"))  # short: Ray's socket paths have a limit
        self.replica_resource = replica_resource
        self.nodes: list[Node] = []
        self.env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p),
            "RAY_USAGE_STATS_ENABLED": "0",
            "RAY_ADDRESS": self.address,
        }

    def _start(self, name: str, args: list[str]) -> Node:
        log = self.temp / f"{name}.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [str(RAY), "start", "--block", "--node-ip-address", "127.0.0.1", "--num-cpus", "1", *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={k: v for k, v in self.env.items() if k != "RAY_ADDRESS"},
                start_new_session=True,  # its own process group: killed as one
            )
        node = Node(name, process, log)
        self.nodes.append(node)
        return node

    def start(self) -> LocalCluster:
        head_resources = json.dumps({self.replica_resource: 1, "head_node": 1})
        self._start(
            "head",
            [
                "--head",
                "--port",
                str(self.port),
                "--include-dashboard=false",
                "--temp-dir",
                str(self.temp),
                "--resources",
                head_resources,
            ],
        )
        self.wait_for_nodes(1)
        self.start_second()
        return self

    def start_second(self) -> Node:
        """The second node (again, after `kill_node`: a new node with the same resources)."""
        second_resources = json.dumps({self.replica_resource: 1, "second_node": 1})
        node = self._start("second", ["--address", self.address, "--resources", second_resources])
        self.wait_for_nodes(sum(1 for n in self.nodes if n.process.poll() is None))
        return node

    def alive_nodes(self) -> int:
        probe = (
            f"import ray; ray.init(address='{self.address}', log_to_driver=False, configure_logging=False); "
            "print(sum(1 for n in ray.nodes() if n['Alive']))"
        )
        done = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, env=self.env, timeout=60, check=False
        )
        return int(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 and done.stdout.strip() else 0

    def wait_for_nodes(self, count: int) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            for node in self.nodes:
                if node.process.poll() is not None and not node.killed:
                    raise RuntimeError(f"ray node {node.name} exited: {node.log.read_text()[-2000:]}")
            if self.alive_nodes() >= count:
                return
            time.sleep(1)
        raise RuntimeError(f"the Ray cluster did not reach {count} nodes in {START_TIMEOUT_S:.0f} s")

    def kill_node(self, index: int) -> None:
        self.nodes[index].kill()

    def alive(self) -> list[Node]:
        return [node for node in self.nodes if not node.killed]

    def pids(self) -> set[int]:
        return set().union(*(node.processes() for node in self.nodes)) if self.nodes else set()

    def stop(self) -> None:
        for node in reversed(self.nodes):
            node.kill()
        shutil.rmtree(self.temp, ignore_errors=True)


@contextlib.contextmanager
def local_cluster(replica_resource: str = "replica_slot"):
    """A started two-node cluster, stopped (every process it started killed) however the block ends."""
    cluster = LocalCluster(replica_resource)
    try:
        yield cluster.start()
    finally:
        cluster.stop()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(OSError):
        if Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z":
            return False
    return True
