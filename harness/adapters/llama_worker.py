"""llama.cpp in a worker process: a native crash or a hang costs the item in flight, never the run.

The model is loaded and run in a child process (multiprocessing, spawn: no forked threads or
locks) that answers chat completions over a pipe. The parent builds the messages (few-shot
examples need the suite and the graph), so the child only holds the model. When the child dies
of a signal (SIGSEGV inside llama_decode, SIGABRT from a failed assertion, SIGKILL from the
OOM killer) or stays silent past `gen_timeout_s`, the item becomes `infra_model` with one line
naming the signal and the likely fix, and a fresh worker is started for the next item. After
`max_worker_crashes` deaths in a row the run stops (`WorkerCrashed`): recorded as failed, and
`harness run --resume` retries the unscored items.

Test hook: HARNESS_TEST_WORKER_CRASH="SIGSEGV" makes every worker kill itself with that signal
when asked for its first completion; "SIGSEGV:2" only the first two workers.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from dataclasses import asdict

from ..errors import ModelUnavailable, RunAborted
from .base import Generation, ModelSpec
from .llama_cpp import LlamaCppAdapter

CRASH_HOOK = "HARNESS_TEST_WORKER_CRASH"
LOAD_TIMEOUT_S = 600.0


class WorkerCrashed(RunAborted):
    """The llama.cpp worker died too many times in a row: the run cannot go on."""


def signal_name(exitcode: int | None) -> str:
    if exitcode is None:
        return "no exit status"
    if exitcode < 0:
        try:
            return signal.Signals(-exitcode).name
        except ValueError:
            return f"signal {-exitcode}"
    return f"exit status {exitcode}"


def likely_fix(name: str, spec, repack: bool) -> str:
    where = spec.path or f"models/{spec.name}.toml"
    if name in ("SIGSEGV", "SIGBUS", "SIGILL") and repack:
        return f"likely llama.cpp's CPU weight repacking: set repack = false in {where}"
    if name in ("SIGSEGV", "SIGBUS", "SIGILL"):
        return "a crash inside llama.cpp: try another n_threads or n_batch, or another llama-cpp-python build"
    if name == "SIGKILL":
        return "killed from outside, often the out-of-memory killer: lower n_ctx or free memory"
    if name == "SIGABRT":
        return "llama.cpp aborted (a failed assertion; its message is on stderr above)"
    return "see stderr above"


def _crash_hook(incarnation: int) -> None:
    value = os.environ.get(CRASH_HOOK)
    if not value:
        return
    name, _, count = value.partition(":")
    if not count or incarnation < int(count):
        os.kill(os.getpid(), signal.Signals[name])


PARENT_POLL_S = 0.5


def _end_with_parent(parent_pid: int) -> None:
    """The worker never outlives the run: stop signals are the parent's to handle (it closes the worker
    when the run ends), and when the parent is gone (even SIGKILLed) the worker exits within PARENT_POLL_S."""
    for number in (signal.SIGINT, signal.SIGHUP):
        signal.signal(number, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_POLL_S)
        os._exit(0)  # mid-generation: nothing to clean up, and no one left to answer

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _serve(conn, spec_fields: dict, incarnation: int, parent_pid: int | None = None) -> None:
    """The worker's main loop: load, report, then answer one completion per request until told to stop."""
    if parent_pid is not None:
        _end_with_parent(parent_pid)
    spec = ModelSpec(**spec_fields)
    engine = LlamaCppAdapter(spec)
    try:
        conn.send(("ready", engine.model_info()))
    except ModelUnavailable as exc:
        conn.send(("error", str(exc)))
        return
    first = True
    while True:
        try:
            messages = conn.recv()
        except EOFError:
            break
        if messages is None:
            break
        if first:
            _crash_hook(incarnation)
            first = False
        try:
            conn.send(("done", asdict(engine.complete(messages))))
        except (BrokenPipeError, EOFError, OSError):
            break  # the parent is gone: no one to answer, and nothing to print
    engine.close()


class WorkerLlamaCpp(LlamaCppAdapter):
    """The `llama_cpp` adapter as `harness run` uses it: the model lives in a restartable worker."""

    def __init__(self, spec, context=None):
        super().__init__(spec, context)
        self._process = None
        self._conn = None
        self._incarnation = 0
        self._crashes = 0  # consecutive
        self._worker_info: dict | None = None
        self._call_lock = threading.Lock()

    @property
    def isolated(self) -> bool:
        return bool(self.options["isolate"])

    # worker lifecycle -------------------------------------------------
    def _start(self) -> dict:
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        fields = {
            "name": self.spec.name,
            "adapter": self.spec.adapter,
            "options": self.spec.options,
            "path": self.spec.path,
        }
        process = context.Process(
            target=_serve,
            args=(child, fields, self._incarnation, os.getpid()),
            name=f"llama-{self.spec.name}",
            daemon=True,
        )
        process.start()
        child.close()
        self._incarnation += 1
        self._process, self._conn = process, parent
        reply = self._receive(LOAD_TIMEOUT_S)
        if reply is None or reply[0] != "ready":
            self._stop()
            if reply is not None:
                raise ModelUnavailable(reply[1])
            raise ModelUnavailable(
                f"llama.cpp worker for {self.spec.name!r} died while loading {self.path} "
                f"({signal_name(process.exitcode)}): {likely_fix(signal_name(process.exitcode), self.spec, self._repack())}"
            )
        return reply[1]

    def _receive(self, timeout: float):
        """The worker's next message, or None when it died or stayed silent past timeout (it is then killed)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                if self._conn.poll(min(max(remaining, 0), 0.5)):
                    return self._conn.recv()
            except (EOFError, OSError):
                self._process.join(5)
                return None
            if not self._process.is_alive():
                self._process.join(5)
                return None
            if remaining <= 0:
                self._process.kill()
                self._process.join(5)
                return None

    def _stop(self) -> None:
        if self._process is None:
            return
        try:
            self._conn.send(None)
        except (OSError, ValueError):
            pass
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(5)
        self._conn.close()
        self._process = self._conn = None

    def _repack(self) -> bool:
        repack = self.options["repack"]
        return bool((self._worker_info or {}).get("repack", False if repack == "auto" else repack))

    # adapter API ------------------------------------------------------
    def model_info(self) -> dict:
        if not self.isolated:
            return super().model_info()
        with self._call_lock:
            if self._process is None:
                self._worker_info = self._start()
        return {**(self._worker_info or {}), "isolation": "worker process (spawn)"}

    def check(self):
        self.model_info()
        self.fewshot.prepare()

    def complete(self, messages: list[dict]) -> Generation:
        if not self.isolated:
            return super().complete(messages)
        with self._call_lock:
            if self._process is None:
                self._worker_info = self._start()
            started = time.perf_counter()
            self._conn.send(messages)
            timeout = float(self.options["gen_timeout_s"])
            reply = self._receive(timeout)
            if reply is not None:
                self._crashes = 0
                return Generation(**reply[1])
            exitcode = self._process.exitcode
            self._conn.close()
            self._process = self._conn = None
            self._crashes += 1
            return self._crashed(exitcode, timeout, time.perf_counter() - started)

    def _crashed(self, exitcode: int | None, timeout: float, waited: float) -> Generation:
        hung = waited >= timeout
        what = f"gave no answer within {timeout:g} s and was killed" if hung else f"died of {signal_name(exitcode)}"
        fix = (
            "raise gen_timeout_s or lower max_tokens"
            if hung
            else likely_fix(signal_name(exitcode), self.spec, self._repack())
        )
        line = f"llama.cpp worker for {self.spec.name!r} {what} while generating: {fix}"
        limit = int(self.options["max_worker_crashes"])
        if self._crashes >= limit:
            raise WorkerCrashed(
                f"{line} ({self._crashes} times in a row; the run stops, "
                f"`harness run --model {self.spec.name} --resume` retries the unscored items)"
            )
        return Generation(infra_error=f"{line} (worker restarted)", gen_ms=waited * 1000, meta={"worker_crash": True})

    def close(self):
        with self._call_lock:
            self._stop()
        super().close()
