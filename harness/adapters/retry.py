"""The one retry loop, rate limiting and retry timing, shared by the network adapters (gemini, endpoint).

An adapter only classifies its errors (`Retry` with the server's delay, or `Fail`);
`call_with_retries` owns the loop. Infra failures that outlast it become
`Generation.infra_error`; they are never turned into model output.
"""

from __future__ import annotations

import email.utils
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from pydantic import Field

from .base import AdapterOptions


class RateLimiter:
    """Spaces request starts at least 60/rpm seconds apart, across all threads."""

    def __init__(self, rpm: float | None):
        self.interval = 60.0 / rpm if rpm else 0.0
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> float:
        if not self.interval:
            return 0.0
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        delay = start - now
        if delay > 0:
            time.sleep(delay)
        return delay


def backoff(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff with a little jitter (attempt counts from 0)."""
    delay = min(cap, base * (2**attempt))
    return delay + random.uniform(0, delay * 0.1)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*s\s*$")


def parse_duration(value) -> float | None:
    """A protobuf Duration as JSON writes it ("7s", "0.250s") in seconds."""
    if isinstance(value, (int, float)):
        return float(value)
    match = _DURATION.match(str(value or ""))
    return float(match.group(1)) if match else None


def parse_retry_after(value: str | None) -> float | None:
    """An HTTP Retry-After header: seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def retry_info_delay(body) -> float | None:
    """The RetryInfo.retryDelay that Google APIs put in a 429's error details."""
    error = body.get("error", body) if isinstance(body, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    for detail in details or []:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            return parse_duration(detail.get("retryDelay"))
    return None


def http_client_errors() -> tuple[tuple, tuple]:
    """(timeout errors, other transport errors) of the HTTP clients the SDKs use.

    google-genai and huggingface_hub moved from httpx to its fork httpx2; catch whichever is there.
    """
    import importlib

    timeouts, transports = [TimeoutError], [ConnectionError]
    for name in ("httpx2", "httpx"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        timeouts.append(module.TimeoutException)
        transports.append(module.TransportError)
    return tuple(timeouts), tuple(transports)


class RetryOptions(AdapterOptions):
    """Spec options of the one retry loop; adapters inherit them and may change the defaults."""

    max_retries: int = Field(3, ge=0, le=100, description="Retries of a rate-limited or failed call.")
    backoff_s: float = Field(
        1.0, ge=0, description="First backoff when the server names no delay (doubles each retry)."
    )
    max_backoff_s: float = Field(30.0, ge=0, description="Longest backoff.")
    max_wait_s: float = Field(120.0, ge=0, description="A server-requested delay longer than this is not waited for.")


@dataclass(frozen=True)
class Retry:
    """A failure worth retrying; `delay` is the server's own (Retry-After, RetryInfo) when it named one."""

    problem: str
    delay: float | None = None


@dataclass(frozen=True)
class Fail:
    """A failure that retrying cannot fix (404, 4xx, a malformed answer)."""

    message: str


class CallFailed(Exception):
    """A call that is still failing after its retries, or cannot succeed: becomes `infra_error`."""

    def __init__(self, message: str, retries: int):
        super().__init__(message)
        self.retries = retries


T = TypeVar("T")


def call_with_retries(
    call: Callable[[], T],
    classify: Callable[[Exception], Retry | Fail | None],
    options: RetryOptions,
    limiter: RateLimiter,
    label: str,
) -> tuple[T, int]:
    """The one retry loop: (result, retries). Adapters only say, in `classify`, what is retryable.

    `classify` returns None for exceptions that are not call failures (bugs): those propagate.
    """
    retries = 0
    while True:
        limiter.wait()
        try:
            return call(), retries
        except Exception as exc:
            decision = classify(exc)
            if decision is None:
                raise
        if isinstance(decision, Fail):
            raise CallFailed(decision.message, retries)
        if retries >= options.max_retries:
            raise CallFailed(f"{label}: {decision.problem} (gave up after {retries} retries)", retries)
        if decision.delay is not None and decision.delay > options.max_wait_s:
            raise CallFailed(
                f"{label}: {decision.problem}; the server asks to wait {decision.delay:.0f}s, "
                f"more than max_wait_s={options.max_wait_s:g}",
                retries,
            )
        time.sleep(
            decision.delay if decision.delay is not None else backoff(retries, options.backoff_s, options.max_backoff_s)
        )
        retries += 1
