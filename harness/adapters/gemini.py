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
from typing import Literal

from pydantic import Field, model_validator

from ..errors import ModelUnavailable
from ..redact import redact_text, remember, remember_url
from .base import Adapter, Generation
from .fewshot import FewShot, FewShotOptions, inline_block
from .prompting import read_prompt, render, sha256_text
from .retry import (
    CallFailed,
    Fail,
    RateLimiter,
    Retry,
    RetryOptions,
    call_with_retries,
    http_client_errors,
    parse_retry_after,
    retry_info_delay,
)

KEY_VARS = ("GOOGLE_API_KEY", "GEMINI_API_KEY")
BASE_URL_VAR = "HARNESS_GEMINI_BASE_URL"


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
            remember(os.environ[name])  # never stored or shown (harness/redact.py)
            return os.environ[name], name
    return None, " or ".join(names)


class GeminiOptions(RetryOptions, FewShotOptions):
    model: str = Field(description="API model id, e.g. gemini-2.0-flash (ids retire: a 404 is 'model unavailable').")
    mode: Literal["two_step", "single_step"] = Field("two_step", description="two_step: expand, then Cypher.")
    base_url: str | None = Field(None, description=f"API base URL (proxies, tests); else ${BASE_URL_VAR}.")
    api_key_env: str | None = Field(
        None, description="Variable holding the key; default GOOGLE_API_KEY, GEMINI_API_KEY."
    )
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    max_output_tokens: int = Field(1024, ge=1, le=65536)
    thinking_budget: int | None = Field(None, ge=-1, description="Only for models that think (2.5); none: default.")
    rpm: float = Field(15, ge=0, description="Requests per minute across all threads (0: unlimited).")
    max_retries: int = Field(6, ge=0, le=100, description="Retries of a rate-limited or failed call.")
    backoff_s: float = Field(2.0, ge=0, description="First backoff when the server names no delay.")
    max_backoff_s: float = Field(60.0, ge=0, description="Longest backoff.")
    timeout_s: float = Field(60.0, gt=0, le=3600, description="Seconds to wait for one answer.")
    max_concurrency: int = Field(4, ge=1, le=64, description="Requests in flight at once.")
    expand_prompt_file: str = "gemini_expand.txt"
    cypher_prompt_file: str = "gemini_cypher.txt"
    single_prompt_file: str = "gemini_single.txt"

    @model_validator(mode="after")
    def _examples_need_one_prompt(self):
        if self.fewshot_k and self.mode != "single_step":
            raise ValueError('few-shot examples (fewshot_k) need mode = "single_step"')
        return self


class GeminiAdapter(Adapter):
    name = "gemini"
    Options = GeminiOptions
    needs = "an API key in GOOGLE_API_KEY or GEMINI_API_KEY, and google-genai"
    max_concurrency = 4

    options: GeminiOptions

    def __init__(self, spec, context=None):
        super().__init__(spec, context)
        o = self.options
        self.fewshot = FewShot(spec, o, self.context)
        self.max_concurrency = o.max_concurrency
        self.base_url = o.base_url or os.environ.get(BASE_URL_VAR) or None
        remember_url(self.base_url)
        self.prompts = {key: read_prompt(spec, o[f"{key}_prompt_file"]) for key in ("expand", "cypher", "single")}
        self.limiter = RateLimiter(o.rpm)
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
        self.fewshot.prepare()

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
            timeout=int(self.options.timeout_s * 1000), retry_options=types.HttpRetryOptions(attempts=1)
        )  # we retry, and count
        if self.base_url:
            options.base_url = self.base_url
        self._client = genai.Client(api_key=key, http_options=options)
        return self._client

    def describe(self):
        return {
            "model": self.options.model,
            "mode": self.options.mode,
            "base_url": redact_text(self.base_url) if self.base_url else None,
            "rpm": self.options.rpm,
            "temperature": self.options.temperature,
            "prompts_sha256": {k: sha256_text(v) for k, v in self.prompts.items()},
            "fewshot": self.fewshot.describe(),
        }

    def generate(self, item):
        client = self._connect()
        started = time.perf_counter()
        calls: list[_Call] = []
        meta: dict = {}
        try:
            if self.options.mode == "two_step":
                expand = self._call(client, render(self.prompts["expand"], question=item.question))
                calls.append(expand)
                meta["instructions"] = expand.text
                prompt = render(self.prompts["cypher"], question=item.question, instructions=expand.text)
            else:
                examples = self.fewshot.examples(item)
                if examples:
                    meta["fewshot_ids"] = [example_id for example_id, _, _ in examples]
                prompt = render(self.prompts["single"], question=item.question, examples=inline_block(examples))
            calls.append(self._call(client, prompt))
        except CallFailed as exc:
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
            temperature=self.options.temperature,
            candidate_count=1,
            max_output_tokens=self.options.max_output_tokens,
        )
        if self.options.thinking_budget is not None:
            config.thinking_config = types.ThinkingConfig(thinking_budget=self.options.thinking_budget)
        return config

    def _call(self, client, prompt: str) -> _Call:
        """One generateContent through the shared retry loop; raises CallFailed when it cannot succeed."""
        model = self.options.model
        timing: dict = {}

        def call():
            timing["attempt"] = time.perf_counter()
            return client.models.generate_content(model=model, contents=prompt, config=self._config())

        response, retries = call_with_retries(call, self._classify, self.options, self.limiter, f"Gemini {model}")
        return self._parse(response, (time.perf_counter() - timing["attempt"]) * 1000, retries)

    def _classify(self, exc: Exception) -> Retry | Fail | None:
        """Which failures the retry loop may retry, and the delay the server asked for."""
        from google.genai import errors

        timeouts, transports = http_client_errors()
        model = self.options.model
        if isinstance(exc, errors.APIError):
            if exc.code == 404:
                return Fail(
                    f"model unavailable: {model} ({exc.message or exc.status or 'not found'}); "
                    f"the id may be retired: change `model` in {self.spec.path or self.spec.name}"
                )
            if exc.code not in (408, 429) and not 500 <= (exc.code or 0) < 600:
                return Fail(f"Gemini API error {exc.code} {exc.status or ''}: {exc.message}".strip())
            delay = retry_info_delay(exc.details)
            if delay is None and getattr(exc, "response", None) is not None:
                delay = parse_retry_after(getattr(exc.response, "headers", {}).get("retry-after"))
            return Retry(f"{exc.code} {exc.status or ''}: {exc.message or ''}".strip(), delay)
        if isinstance(exc, timeouts):
            return Retry(f"timed out after {self.options.timeout_s:g}s")
        if isinstance(exc, (*transports, OSError)):
            return Retry(f"connection failed: {exc}")
        return None

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
