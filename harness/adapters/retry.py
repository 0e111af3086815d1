"""Rate limiting and retry timing shared by the network adapters (gemini, endpoint).

Infra failures are retried here and, when retries run out, reported as
`Generation.infra_error`; they are never turned into model output.
"""

from __future__ import annotations

import email.utils
import random
import re
import threading
import time


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
