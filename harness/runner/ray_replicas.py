"""Model generation on a Ray cluster (`harness run --ray`): the adapter runs as Ray actors, the driver judges.

The item pipeline (runner/pipeline.py) is unchanged: it sees one adapter, `RayReplicas`, whose
generate() hands the item to whichever replica has a free slot and waits for its answer; judging
and the results store stay in this process (one writer, each verdict stored as it is known).
Ray does the placement (each replica asks for the spec's `[resources]`), restarts a replica that
died where the cluster has room (`max_restarts`), and tells us when one died (`RayActorError`):
the item it held goes to the next free replica, so no item is lost, and since only this process
records verdicts, none is judged twice. When no replica is left and none comes back within
`RECOVER_WAIT_S`, the run stops `interrupted` (`GenerationLost`) with the `--resume` command.

Replicas of a rate-limited adapter (gemini, endpoint with `rpm`) share one budget: a named actor
(`RateBudget`) spaces every replica's request starts 60/rpm seconds apart, cluster-wide; the
retry loop (adapters/retry.py) is the same, only its limiter is shared.

Only this module imports ray, and only `--ray` imports this module.
"""

from __future__ import annotations

import asyncio
import os
import queue
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import ray
from ray.exceptions import GetTimeoutError, RayActorError, RayTaskError

from ..adapters.base import Adapter, Generation, ModelSpec, RunContext
from ..adapters.registry import adapter_class
from ..errors import ModelUnavailable, RunAborted
from ..suitegen.model import SuiteItem, open_suite
from .guard import GenerationLost

MAX_RESTARTS = 3  # Ray restarts a dead replica this often (where the cluster has room) before giving it up
RECOVER_WAIT_S = 60.0  # with no replica up, how long to wait for one to come back ($HARNESS_RAY_RECOVER_WAIT_S)
READY_TIMEOUT_S = 900.0  # replicas load their model before the first item (a large GGUF takes minutes)
POLL_S = 0.2
CONNECT_TIMEOUT_S = 10.0
FORWARDED_ENV = ("GOOGLE_API_KEY", "GEMINI_API_KEY")

# What a replica asks for when its spec has no [resources] table (Ray's own actor default is 1 CPU).
DEFAULT_RESOURCES = {
    "gemini": {"num_cpus": 0},  # a network client: waits, does not compute
    "endpoint": {"num_cpus": 0},
}


def recover_wait_s() -> float:
    return float(os.environ.get("HARNESS_RAY_RECOVER_WAIT_S") or RECOVER_WAIT_S)


def replica_resources(spec: ModelSpec) -> dict:
    """The spec's [resources], else the adapter's default; a llama.cpp replica asks for its n_threads."""
    if spec.resources:
        wanted = dict(spec.resources)
    elif spec.adapter == "llama_cpp":
        wanted = {"num_cpus": spec.options.get("n_threads") or 1}
    else:
        wanted = dict(DEFAULT_RESOURCES.get(spec.adapter, {"num_cpus": 1}))
    options = {key: wanted.pop(key) for key in ("num_cpus", "num_gpus", "memory") if key in wanted}
    if wanted:
        options["resources"] = wanted
    return options


class RateBudget:
    """One request budget for every replica: start times spaced 60/rpm seconds apart, cluster-wide.

    The wait happens here (an async actor), so replicas on hosts with different clocks share it.
    """

    def __init__(self, rpm: float):
        self.interval = 60.0 / rpm
        self.next = 0.0

    async def acquire(self) -> float:
        now = time.monotonic()
        start = max(now, self.next)
        self.next = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)
        return start - now


RemoteRateBudget: Any = ray.remote(num_cpus=0)(RateBudget)


class SharedRateLimiter:
    """The `RateLimiter` interface (adapters/retry.py) over the cluster's `RateBudget`."""

    def __init__(self, budget):
        self.budget = budget

    def wait(self) -> float:
        return ray.get(self.budget.acquire.remote())


class Replica:
    """One copy of the model's adapter on a Ray worker; the driver never sees the model itself."""

    def __init__(self, spec_fields: dict, suite_path: str | None, replay: str | None, budget):
        spec = ModelSpec(**spec_fields)
        suite = open_suite(suite_path) if suite_path else None
        self.adapter = adapter_class(spec.adapter, spec.package)(spec, RunContext(suite=suite, replay=replay))
        if budget is not None and getattr(self.adapter, "limiter", None) is not None:
            self.adapter.limiter = SharedRateLimiter(budget)

    def ready(self) -> dict:
        """Load the model (check) and say where this replica runs and what it records."""
        self.adapter.check()
        context = ray.get_runtime_context()
        return {"describe": self.adapter.describe(), "node_id": context.get_node_id(), "pid": os.getpid()}

    def generate(self, item: SuiteItem) -> tuple[Generation, float]:
        """The generation, and the seconds it took here (the driver's round trip less this is Ray's cost)."""
        from .pipeline import timed_generate

        started = time.perf_counter()
        generation = timed_generate(self.adapter, item)
        return generation, time.perf_counter() - started

    def close(self) -> None:
        self.adapter.close()


def connect(address: str | None) -> str:
    """Join the cluster (`address`, else $RAY_ADDRESS, else a local one); returns the address used."""
    address = address or os.environ.get("RAY_ADDRESS") or "auto"
    if not ray.is_initialized():
        _check_reachable(address)
        try:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ModelUnavailable(
                f"no Ray cluster at {address}: {str(exc).splitlines()[0]} "
                "(start one with `ray start --head`, or name it with --ray ADDRESS or RAY_ADDRESS)"
            ) from None
    return address


def _check_reachable(address: str) -> None:
    """A HOST:PORT that nothing answers on is one line at once (ray.init would retry it for minutes)."""
    host, _, port = address.rpartition(":")
    if "://" in address or not host or not port.isdigit():
        return  # "auto", "local", ray:// client addresses: Ray's own checks
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise ModelUnavailable(
            f"no Ray cluster at {address}: {exc.strerror or exc} "
            "(start one with `ray start --head`, or name it with --ray ADDRESS or RAY_ADDRESS)"
        ) from None


def _spec_fields(spec: ModelSpec) -> dict:
    """The spec as a replica rebuilds it; paths absolute, since a worker's working folder is not ours."""
    return {
        "name": spec.name,
        "adapter": spec.adapter,
        "options": spec.options,
        "path": str(Path(spec.path).resolve()) if spec.path else None,
        "description": spec.description,
        "resources": spec.resources,
    }


def _env_vars(spec: ModelSpec) -> dict:
    """The variables a replica needs from the driver's environment (harness settings, API keys)."""
    names = {name for name in os.environ if name.startswith("HARNESS_")} | set(FORWARDED_ENV)
    if spec.options.get("api_key_env"):
        names.add(spec.options["api_key_env"])
    env = {name: os.environ[name] for name in names if name in os.environ}
    for name in ("HARNESS_MODELS_DIR", "HARNESS_CACHE", "HARNESS_HOME"):
        if name in env:
            env[name] = str(Path(env[name]).resolve())
    return env


class RayReplicas(Adapter):
    """The driver's side: `replicas` actors, each with `slots` concurrent calls; items go to a free slot."""

    name = "ray"

    def __init__(self, spec: ModelSpec, context: RunContext, replicas: int, address: str | None):
        self.spec = spec
        self.context = context
        self.local = adapter_class(spec.adapter, spec.package)(
            spec, context
        )  # options, concurrency, id checks; never loaded
        self.options = self.local.options
        self.address = connect(address)
        self.slots = max(1, min(self.local.max_concurrency, context.concurrency or self.local.max_concurrency))
        self.max_concurrency = replicas * self.slots
        self.resources = replica_resources(spec)
        rpm = spec.options.get("rpm") if getattr(self.local, "limiter", None) is not None else None
        self.budget: Any = (
            RemoteRateBudget.options(name=f"harness-rate-{spec.name}-{uuid.uuid4().hex[:8]}").remote(float(rpm))
            if rpm
            else None
        )
        suite = context.suite
        actor = ray.remote(Replica).options(
            max_restarts=MAX_RESTARTS,
            max_task_retries=0,  # an item of a dead replica is handed to another one here, not retried on it
            max_concurrency=self.slots,
            runtime_env={"env_vars": _env_vars(spec)},
            **self.resources,
        )
        args = (_spec_fields(spec), str(suite.folder.resolve()) if suite else None, context.replay, self.budget)
        self.actors: list[Any] = [actor.remote(*args) for _ in range(replicas)]
        self.placement: list[dict] = []
        self._free: queue.SimpleQueue[tuple[int, int]] = queue.SimpleQueue()  # (replica, epoch) per free slot
        self._epoch = [0] * replicas
        self._state = ["starting"] * replicas  # starting, up, recovering, dead
        self._probes: dict = {}  # ready() ref -> replica, for replicas Ray is restarting
        self._lost: dict[int, str] = {}  # replica -> why it went
        self._busy = 0
        self._lock = threading.Lock()
        self._closed = False

    # setup --------------------------------------------------------------
    def check(self) -> None:
        """Wait until every replica has loaded its model; the first failure is one ModelUnavailable line."""
        refs = [actor.ready.remote() for actor in self.actors]
        try:
            infos = ray.get(refs, timeout=READY_TIMEOUT_S)
        except GetTimeoutError:
            raise ModelUnavailable(
                f"{len(self.actors)} Ray replicas of {self.spec.name!r} asking for {self.resources} were not all "
                f"placed and loaded within {READY_TIMEOUT_S:.0f} s: the cluster lacks those resources "
                f"(`ray status`; fewer --replicas or another [resources] table)"
            ) from None
        except RayTaskError as exc:
            raise ModelUnavailable(f"a Ray replica of {self.spec.name!r}: {exc.cause}") from None
        except RayActorError as exc:
            raise ModelUnavailable(
                f"a Ray replica of {self.spec.name!r} died while loading: {_first_line(exc)}"
            ) from None
        self.placement = [{"node_id": info["node_id"], "pid": info["pid"]} for info in infos]
        self._describe = infos[0]["describe"]
        for index in range(len(self.actors)):
            self._up(index)

    def check_ids(self, item_ids: set[str]) -> None:
        self.local.check_ids(item_ids)

    def describe(self) -> dict:
        nodes = sorted({p["node_id"] for p in self.placement})
        return {
            **self._describe,
            "ray": {
                "replicas": len(self.actors),
                "slots": self.slots,
                "resources": self.resources,
                "nodes": len(nodes),
            },
        }

    # scheduling: Ray places and restarts; we only hand each item to a free slot -------------------
    def _up(self, index: int) -> None:
        with self._lock:
            self._state[index] = "up"
            self._epoch[index] += 1
            for _ in range(self.slots):
                self._free.put((index, self._epoch[index]))

    def _take(self) -> tuple[int, int]:
        waiting_since = None
        while True:
            if self._closed:
                raise RunAborted("the Ray replicas were closed")
            self._collect_probes()
            try:
                index, epoch = self._free.get(timeout=POLL_S)
            except queue.Empty:
                pass
            else:
                with self._lock:
                    if self._state[index] == "up" and self._epoch[index] == epoch:
                        self._busy += 1
                        return index, epoch
                continue  # a slot of a replica that died since: dropped
            with self._lock:
                idle = self._busy == 0 and not any(state == "up" for state in self._state)
            if not idle:
                waiting_since = None
                continue
            waiting_since = waiting_since or time.monotonic()
            if not self._probes or time.monotonic() - waiting_since > recover_wait_s():
                raise GenerationLost(self._lost_line())

    def _collect_probes(self) -> None:
        with self._lock:
            probes = list(self._probes)
        if not probes:
            return
        done, _ = ray.wait(probes, num_returns=len(probes), timeout=0)
        for ref in done:
            with self._lock:
                index = self._probes.pop(ref, None)
            if index is None:
                continue
            try:
                ray.get(ref)
            except (RayActorError, RayTaskError) as exc:
                with self._lock:
                    self._state[index] = "dead"
                    self._lost[index] = _first_line(exc)
            else:
                self._up(index)

    def _release(self, index: int, epoch: int) -> None:
        with self._lock:
            self._busy -= 1
            if self._state[index] == "up" and self._epoch[index] == epoch:
                self._free.put((index, epoch))

    def _replica_died(self, index: int, epoch: int, exc: BaseException) -> None:
        """Its slots are dropped; a probe tells when Ray has restarted it (or given it up)."""
        with self._lock:
            self._busy -= 1
            self._lost[index] = _first_line(exc)
            if self._state[index] == "up" and self._epoch[index] == epoch and not self._closed:
                self._state[index] = "recovering"
                self._probes[self.actors[index].ready.remote()] = index

    def generate(self, item: SuiteItem) -> Generation:
        while True:
            index, epoch = self._take()
            started = time.perf_counter()
            try:
                generation, replica_s = ray.get(self.actors[index].generate.remote(item))
            except RayActorError as exc:  # the replica or its node died: the item goes to another replica
                self._replica_died(index, epoch, exc)
                continue
            except RayTaskError as exc:  # the adapter raised RunAborted inside the replica: stop as it would locally
                self._release(index, epoch)
                cause = exc.cause
                raise cause if isinstance(cause, RunAborted) else RunAborted(str(cause)) from None
            self._release(index, epoch)
            overhead_ms = (time.perf_counter() - started - replica_s) * 1000
            generation.meta["ray"] = {"replica": index + 1, "overhead_ms": round(overhead_ms, 2)}
            return generation

    def _lost_line(self) -> str:
        reasons = "; ".join(f"replica {i + 1}: {why}" for i, why in sorted(self._lost.items())) or "none was placed"
        return (
            f"every Ray replica of {self.spec.name!r} is gone ({reasons}); nothing was recorded for the items in flight"
        )

    def close(self) -> None:
        self._closed = True
        for actor in getattr(self, "actors", []):
            ray.kill(actor, no_restart=True)
        if getattr(self, "budget", None) is not None:
            ray.kill(self.budget)
        self.actors = []
        if ray.is_initialized():
            ray.shutdown()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
