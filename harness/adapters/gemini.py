"""`gemini`: hosted Gemini models through the google-genai SDK.

Two modes, both with prompts we write from the schema (prompts/gemini_*.txt):
- `two_step` (the seed's original pipeline): expand the question into schema-aware
  instructions, then write the Cypher from question + instructions;
- `single_step`: the Cypher straight from the question.

Rate limits and outages are infra, not model failures: requests are spaced to `rpm`,
429 / 5xx / timeouts / connection errors are retried here (the SDK's own retries are
switched off so each retry is counted once) after the server's RetryInfo delay or
Retry-After header when it gives one, else exponential backoff; what is still failing
becomes `Generation.infra_error`. A 404 means the model id is retired or wrong:
"model unavailable", not retried. Model ids are configuration (models/*.toml).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from ..errors import ModelUnavailable
from .base import Adapter, Generation
from .prompting import read_prompt, render, sha256_text
from .retry import RateLimiter, backoff, http_client_errors, parse_retry_after, retry_info_delay

KEY_VARS = ("GOOGLE_API_KEY", "GEMINI_API_KEY")
BASE_URL_VAR = "HARNESS_GEMINI_BASE_URL"
MODES = ("two_step", "single_step")


class _Failed(Exception):
    """A call that is still failing after its retries: becomes infra_error."""

    def __init__(self, message: str, retries: int):
        super().__init__(message)
        self.retries = retries


@dataclass
class _Call:
    text: str
    prompt_tokens: int
    output_tokens: int
    thought_tokens: int
    finish_reason: str | None
    model_version: str | None
    ms: float
    retries: int


def api_key(spec) -> tuple[str | None, str]:
    names = (spec.options["api_key_env"],) if spec.options.get("api_key_env") else KEY_VARS
    for name in names:
        if os.environ.get(name):
            return os.environ[name], name
    return None, " or ".join(names)


class GeminiAdapter(Adapter):
    name = "gemini"
    option_defaults = {
        "model": None,  # API model id, e.g. gemini-2.0-flash (ids retire: a 404 is "model unavailable")
        "mode": "two_step",  # two_step (expand, then Cypher) or single_step
        "base_url": None,  # API base URL (proxies, gateways, tests); else $HARNESS_GEMINI_BASE_URL
        "api_key_env": None,  # env var holding the key; default GOOGLE_API_KEY, then GEMINI_API_KEY
        "temperature": 0.0,
        "max_output_tokens": 1024,
        "thinking_budget": None,  # only for models that think (2.5); None leaves the model default
        "rpm": 15,  # requests per minute across all threads (0: unlimited)
        "max_retries": 6,
        "backoff_s": 2.0,  # first backoff when the server names no delay
        "max_backoff_s": 60.0,
        "max_wait_s": 120.0,  # a server-requested delay longer than this is not waited for
        "timeout_s": 60.0,
        "max_concurrency": 4,
        "expand_prompt_file": "gemini_expand.txt",
        "cypher_prompt_file": "gemini_cypher.txt",
        "single_prompt_file": "gemini_single.txt",
    }
    needs = "an API key in GOOGLE_API_KEY or GEMINI_API_KEY, and google-genai"
    max_concurrency = 4

    def __init__(self, spec, **runtime):
        super().__init__(spec, **runtime)
        o = self.options
        if not o["model"]:
            raise ModelUnavailable(f'{spec.path or spec.name}: set `model = "gemini-..."` under [options]')
        if o["mode"] not in MODES:
            raise ModelUnavailable(
                f"{spec.path or spec.name}: mode must be one of {', '.join(MODES)}, not {o['mode']!r}"
            )
        self.max_concurrency = int(o["max_concurrency"])
        self.base_url = o["base_url"] or os.environ.get(BASE_URL_VAR) or None
        self.prompts = {key: read_prompt(spec, o[f"{key}_prompt_file"]) for key in ("expand", "cypher", "single")}
        self.limiter = RateLimiter(o["rpm"])
        self._client = None

    @classmethod
    def readiness(cls, spec):
        key, name = api_key(spec)
        if not key:
            return False, f"no API key: set {name}"
        try:
            import google.genai  # noqa: F401
        except ImportError:
            return False, "google-genai is not installed: pip install 'oncograph-harness[gemini]'"
        return True, f"key from {name}, model {spec.options.get('model')}"

    def check(self):
        self._connect()

    def _connect(self):
        if self._client is not None:
            return self._client
        ready, why = self.readiness(self.spec)
        if not ready:
            raise ModelUnavailable(f"model {self.spec.name!r}: {why}")
        from google import genai
        from google.genai import types

        key, _ = api_key(self.spec)
        options = types.HttpOptions(
            timeout=int(float(self.options["timeout_s"]) * 1000), retry_options=types.HttpRetryOptions(attempts=1)
        )  # we retry, and count
        if self.base_url:
            options.base_url = self.base_url
        self._client = genai.Client(api_key=key, http_options=options)
        return self._client

    def describe(self):
        return {
            "model": self.options["model"],
            "mode": self.options["mode"],
            "base_url": self.base_url,
            "rpm": self.options["rpm"],
            "temperature": self.options["temperature"],
            "prompts_sha256": {k: sha256_text(v) for k, v in self.prompts.items()},
        }

    def generate(self, item):
        client = self._connect()
        started = time.perf_counter()
        calls: list[_Call] = []
        meta: dict = {}
        try:
            if self.options["mode"] == "two_step":
                expand = self._call(client, render(self.prompts["expand"], question=item.question))
                calls.append(expand)
                meta["instructions"] = expand.text
                prompt = render(self.prompts["cypher"], question=item.question, instructions=expand.text)
            else:
                prompt = render(self.prompts["single"], question=item.question)
            calls.append(self._call(client, prompt))
        except _Failed as exc:
            return Generation(
                infra_error=str(exc),
                retries=sum(c.retries for c in calls) + exc.retries,
                meta={**meta, "wall_ms": round((time.perf_counter() - started) * 1000, 1)},
            )
        last = calls[-1]
        meta.update(
            wall_ms=round((time.perf_counter() - started) * 1000, 1),
            model_version=last.model_version,
            thought_tokens=sum(c.thought_tokens for c in calls),
            calls=len(calls),
        )
        return Generation(
            output=last.text,
            gen_ms=sum(c.ms for c in calls),
            prompt_tokens=sum(c.prompt_tokens for c in calls),
            output_tokens=sum(c.output_tokens for c in calls),
            finish_reason=last.finish_reason,
            retries=sum(c.retries for c in calls),
            meta=meta,
        )

    def _config(self):
        from google.genai import types

        config = types.GenerateContentConfig(
            temperature=float(self.options["temperature"]),
            candidate_count=1,
            max_output_tokens=int(self.options["max_output_tokens"]),
        )
        if self.options["thinking_budget"] is not None:
            config.thinking_config = types.ThinkingConfig(thinking_budget=int(self.options["thinking_budget"]))
        return config

    def _call(self, client, prompt: str) -> _Call:
        """One generateContent with rate limiting and retries; raises _Failed when it cannot succeed."""
        from google.genai import errors

        timeouts, transports = http_client_errors()
        o = self.options
        model = o["model"]
        retries = 0
        while True:
            self.limiter.wait()
            started = time.perf_counter()
            server_delay = None
            try:
                response = client.models.generate_content(model=model, contents=prompt, config=self._config())
                return self._parse(response, (time.perf_counter() - started) * 1000, retries)
            except errors.APIError as exc:
                if exc.code == 404:
                    raise _Failed(
                        f"model unavailable: {model} ({exc.message or exc.status or 'not found'}); "
                        f"the id may be retired: change `model` in {self.spec.path or self.spec.name}",
                        retries,
                    ) from None
                if exc.code not in (408, 429) and not 500 <= (exc.code or 0) < 600:
                    raise _Failed(
                        f"Gemini API error {exc.code} {exc.status or ''}: {exc.message}".strip(), retries
                    ) from None
                server_delay = retry_info_delay(exc.details)
                if server_delay is None and getattr(exc, "response", None) is not None:
                    server_delay = parse_retry_after(getattr(exc.response, "headers", {}).get("retry-after"))
                problem = f"{exc.code} {exc.status or ''}: {exc.message or ''}".strip()
            except timeouts:
                problem = f"timed out after {o['timeout_s']}s"
            except (*transports, OSError) as exc:
                problem = f"connection failed: {exc}"
            if retries >= int(o["max_retries"]):
                raise _Failed(f"Gemini {model}: {problem} (gave up after {retries} retries)", retries)
            if server_delay is not None and server_delay > float(o["max_wait_s"]):
                raise _Failed(
                    f"Gemini {model}: {problem}; the server asks to wait {server_delay:.0f}s, more than "
                    f"max_wait_s={o['max_wait_s']}",
                    retries,
                )
            delay = (
                server_delay
                if server_delay is not None
                else backoff(retries, float(o["backoff_s"]), float(o["max_backoff_s"]))
            )
            time.sleep(delay)
            retries += 1

    @staticmethod
    def _parse(response, ms: float, retries: int) -> _Call:
        usage = response.usage_metadata
        candidate = response.candidates[0] if response.candidates else None
        finish = getattr(candidate, "finish_reason", None)
        finish = getattr(finish, "value", finish)
        parts = (candidate.content.parts or []) if candidate is not None and candidate.content else []
        text = "".join(p.text for p in parts if getattr(p, "text", None) and not getattr(p, "thought", False))
        return _Call(
            text=text,
            prompt_tokens=(usage.prompt_token_count or 0) if usage else 0,
            output_tokens=(usage.candidates_token_count or 0) if usage else 0,
            thought_tokens=(usage.thoughts_token_count or 0) if usage else 0,
            finish_reason=str(finish).lower() if finish else None,
            model_version=getattr(response, "model_version", None),
            ms=ms,
            retries=retries,
        )

    def close(self):
        if self._client is not None:
            try:
                self._client.close()
            except AttributeError:
                pass
            self._client = None
