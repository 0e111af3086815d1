"""Stop signals at safe points: Ctrl-C (SIGINT), SIGTERM and SIGHUP all end a run the same way.

CI runners, `timeout`, systemd and Kubernetes send SIGTERM; a closed terminal sends SIGHUP. Their
default action kills the process on the spot, leaving a run `running` with no message. So every
stop signal behaves like Ctrl-C: outside a loop it raises `Stopped` where the program is
(`stop_signals_raise`, installed by the CLI), and inside a loop that talks to Neo4j the handler
only sets a flag (`deferred_sigint`) and the loop raises between units of work. A
KeyboardInterrupt raised at an arbitrary point there could land inside the Neo4j driver (leaving
a pooled connection half-read) or inside concurrent.futures (leaving a future's lock held).
The exit status is 128 + the signal's number (130, 143, 129), as shells report it.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stopped(KeyboardInterrupt):
    """A stop signal arrived; `signum` says which (Ctrl-C is SIGINT)."""

    def __init__(self, message: str = "", signum: int = signal.SIGINT):
        super().__init__(message)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + int(self.signum)

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum).name


def signum_of(exc: BaseException) -> int:
    """The signal behind a KeyboardInterrupt (a plain one is Ctrl-C)."""
    return getattr(exc, "signum", signal.SIGINT)


@contextmanager
def deferred_sigint(stop: threading.Event | None = None) -> Iterator[threading.Event]:
    """Within the block, every stop signal sets the yielded event (and its `signum`) instead of raising;
    outside the main thread, a no-op."""
    stop = stop or threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum, _frame):
        stop.signum = signum
        stop.set()

    previous = {number: signal.signal(number, handler) for number in STOP_SIGNALS}
    try:
        yield stop
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


def raise_if_stopped(stop: threading.Event) -> None:
    if stop.is_set():
        raise Stopped(signum=getattr(stop, "signum", signal.SIGINT))


@contextmanager
def stop_signals_raise() -> Iterator[None]:
    """SIGTERM and SIGHUP raise `Stopped` like Ctrl-C raises KeyboardInterrupt (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, _frame):
        raise Stopped(signum=signum)

    previous = {number: signal.signal(number, handler) for number in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)
