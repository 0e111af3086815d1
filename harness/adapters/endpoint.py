"""`endpoint`: any OpenAI-compatible chat server (llama.cpp's llama-server, vLLM, llama-cpp-python's server).

For users who outgrow one process or one machine: the server batches, the harness sends
`max_concurrency` requests at once. Plain HTTP from the standard library (urllib), one
request per call, so it is safe from many threads and adds no dependency. Refused
connections, timeouts, 5xx and 429 are retried (honouring Retry-After), then reported as
`infra_error`; they never become model output.
"""

from __future__ import annotations

import http.client
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request

from pydantic import Field

from ..errors import ModelUnavailable
from ..redact import clip, redact_text, remember, without_credentials
from .base import Adapter, Generation
from .fewshot import FewShot, FewShotOptions
from .prompting import read_prompt, sha256_text
from .retry import CallFailed, Fail, RateLimiter, Retry, RetryOptions, call_with_retries, parse_retry_after


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", exc)
    return str(reason) or type(reason).__name__


def _under(base_url: str, path: str) -> str:
    """`path` below the API root, keeping the root's query string (`?key=...` gateways) at the end."""
    parts = urllib.parse.urlsplit(base_url)
    return urllib.parse.urlunsplit(parts._replace(path=parts.path.rstrip("/") + path))


class EndpointOptions(RetryOptions, FewShotOptions):
    base_url: str = Field("http://127.0.0.1:8080/v1", description="The server's OpenAI-compatible API root.")
    model: str = Field("default", description="The name the server knows the model by.")
    api_key_env: str | None = Field(
        None, description="Environment variable with a bearer token, if the server wants one."
    )
    system_prompt_file: str | None = Field(
        None, description="Packaged prompt name or a path; none sends no system message."
    )
    max_tokens: int = Field(512, ge=1, le=131072, description="Most tokens to generate per answer.")
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature (0: greedy).")
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    seed: int | None = Field(0, description="Sampling seed sent to the server (none: not sent).")
    extra_body: dict = Field(
        default_factory=dict, description="Server-specific fields, e.g. {top_k = 1} for llama.cpp."
    )
    timeout_s: float = Field(120.0, gt=0, le=3600, description="Seconds to wait for one answer.")
    max_concurrency: int = Field(8, ge=1, le=256, description="Requests in flight at once.")
    rpm: float = Field(0, ge=0, description="Requests per minute across all threads (0: unlimited).")


class EndpointAdapter(Adapter):
    name = "endpoint"
    Options = EndpointOptions
    needs = "an OpenAI-compatible server answering at base_url"
    max_concurrency = 8

    options: EndpointOptions

    def __init__(self, spec, context=None):
        super().__init__(spec, context)
        o = self.options
        # credentials in the URL (user:KEY@) travel as an Authorization header, never in what is stored or shown
        self.base_url, self._basic_auth = without_credentials(o.base_url.rstrip("/"))
        self.max_concurrency = o.max_concurrency
        self.system_prompt = read_prompt(spec, o.system_prompt_file) if o.system_prompt_file else None
        self.limiter = RateLimiter(o.rpm)
        self.fewshot = FewShot(spec, o, self.context)

    def _headers(self) -> dict:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._basic_auth:
            headers["Authorization"] = self._basic_auth
        env = self.options["api_key_env"]
        if env:
            if not os.environ.get(env):
                raise ModelUnavailable(f"model {self.spec.name!r}: set {env} (the server's API key)")
            remember(os.environ[env])
            headers["Authorization"] = f"Bearer {os.environ[env]}"
        return headers

    @classmethod
    def readiness(cls, spec):
        url, basic = without_credentials(
            str(spec.options.get("base_url") or EndpointOptions.model_fields["base_url"].default).rstrip("/")
        )
        base = redact_text(url)
        env = spec.options.get("api_key_env")
        if env and not os.environ.get(env):
            return False, f"no API key: set {env}"
        try:
            request = urllib.request.Request(_under(url, "/models"), headers={"Authorization": basic} if basic else {})
            with urllib.request.urlopen(request, timeout=2) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            if exc.code in (401, 403):
                return True, f"server at {base} answers (models list needs a key: HTTP {exc.code})"
            return False, f"server at {base} answered HTTP {exc.code} to GET /models"
        except (urllib.error.URLError, OSError) as exc:
            return (
                False,
                f"no server answers at {base} ({_reason(exc)}): start one (e.g. llama-server ... --port 8080) or set base_url",
            )
        return True, f"server at {base}"

    def check(self):
        self._headers()
        ready, why = self.readiness(self.spec)
        if not ready:
            raise ModelUnavailable(f"model {self.spec.name!r}: {why}")
        self.fewshot.prepare()

    def describe(self):
        info = {
            "base_url": redact_text(self.base_url),
            "model": self.options["model"],
            "max_concurrency": self.max_concurrency,
            "decoding": {k: self.options[k] for k in ("temperature", "top_p", "seed", "max_tokens", "extra_body")},
            "system_prompt_sha256": sha256_text(self.system_prompt) if self.system_prompt is not None else None,
            "fewshot": self.fewshot.describe(),
        }
        try:
            request = urllib.request.Request(_under(self.base_url, "/models"), headers=self._headers())
            with urllib.request.urlopen(request, timeout=5) as response:
                info["server_models"] = [m.get("id") for m in json.load(response).get("data", [])]
        except (urllib.error.URLError, OSError, ValueError, AttributeError):
            pass
        return info

    def body(self, question: str, examples=()) -> dict:
        o = self.options
        messages = self.fewshot.chat(self.system_prompt, question, examples)
        body = {
            "model": o.model,
            "messages": messages,
            "max_tokens": o.max_tokens,
            "temperature": o.temperature,
            "top_p": o.top_p,
            "stream": False,
        }
        if o.seed is not None:
            body["seed"] = o.seed
        body.update(o.extra_body)
        return body

    def generate(self, item):
        examples = self.fewshot.examples(item)
        generation = self._post(json.dumps(self.body(item.question, examples)).encode("utf-8"))
        if examples:
            generation.meta["fewshot_ids"] = [example_id for example_id, _, _ in examples]
        return generation

    def _post(self, data: bytes) -> Generation:
        headers = self._headers()
        started = time.perf_counter()
        timing: dict = {}

        def call():
            request = urllib.request.Request(_under(self.base_url, "/chat/completions"), data=data, headers=headers)
            timing["attempt"] = time.perf_counter()
            with urllib.request.urlopen(request, timeout=self.options.timeout_s) as response:
                return json.load(response)

        try:
            payload, retries = call_with_retries(
                call, self._classify, self.options, self.limiter, redact_text(self.base_url)
            )
            return self._parse(payload, (time.perf_counter() - timing["attempt"]) * 1000, retries, started)
        except CallFailed as exc:
            return Generation(infra_error=str(exc), retries=exc.retries)

    def _classify(self, exc: Exception) -> Retry | Fail | None:
        """Which failures the retry loop may retry; the loop itself lives in retry.py."""
        if isinstance(exc, urllib.error.HTTPError):
            text = clip(exc.read().decode("utf-8", "replace"), 300)  # redacted before it is cut: no half key kept
            if exc.code == 404:
                return Fail(
                    f"model unavailable: {self.options.model} at {redact_text(self.base_url)} (HTTP 404: {text})"
                )
            if exc.code not in (408, 429) and exc.code < 500:
                return Fail(f"server refused the request: HTTP {exc.code}: {text}")
            return Retry(f"HTTP {exc.code}: {text}", parse_retry_after(exc.headers.get("Retry-After")))
        if isinstance(exc, TimeoutError) or isinstance(getattr(exc, "reason", None), TimeoutError):
            return Retry(f"timed out after {self.options.timeout_s:g}s")
        if isinstance(exc, (urllib.error.URLError, OSError)):
            return Retry(f"connection failed: {_reason(exc)}")
        if isinstance(exc, http.client.HTTPException):
            return Retry(f"broken response: {type(exc).__name__} {exc}")
        if isinstance(exc, ValueError):  # a 200 that is not JSON
            return Fail(f"{redact_text(self.base_url)}: not an OpenAI chat completion ({exc})")
        return None

    @staticmethod
    def _parse(payload, ms: float, retries: int, started: float) -> Generation:
        try:
            choice = payload["choices"][0]
            text = choice["message"].get("content")
        except (KeyError, IndexError, TypeError, AttributeError):
            return Generation(
                infra_error=f"not an OpenAI chat completion: {clip(json.dumps(payload), 300)}", retries=retries
            )
        usage = payload.get("usage") or {}
        return Generation(
            output=text or "",
            gen_ms=ms,
            prompt_tokens=usage.get("prompt_tokens"),
            output_tokens=usage.get("completion_tokens"),
            finish_reason=choice.get("finish_reason"),
            retries=retries,
            meta={"wall_ms": round((time.perf_counter() - started) * 1000, 1), "served_model": payload.get("model")},
        )
