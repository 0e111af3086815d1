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
import socket
import time
import urllib.error
import urllib.request

from ..errors import ModelUnavailable
from .base import Adapter, Generation
from .prompting import read_prompt, sha256_text
from .retry import RateLimiter, backoff, parse_retry_after


class _Failed(Exception):
    pass


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", exc)
    return str(reason) or type(reason).__name__


class EndpointAdapter(Adapter):
    name = "endpoint"
    option_defaults = {
        "base_url": "http://127.0.0.1:8080/v1",
        "model": "default",  # the name the server knows the model by
        "api_key_env": None,  # env var with a bearer token, if the server wants one
        "system_prompt_file": None,
        "max_tokens": 512,
        "temperature": 0.0,
        "top_p": 1.0,
        "seed": 0,
        "extra_body": {},  # server-specific fields, e.g. {top_k = 1, repeat_penalty = 1.0} for llama.cpp
        "timeout_s": 120.0,
        "max_concurrency": 8,
        "max_retries": 3,
        "backoff_s": 1.0,
        "max_backoff_s": 30.0,
        "max_wait_s": 120.0,
        "rpm": 0,
    }
    needs = "an OpenAI-compatible server answering at base_url"
    max_concurrency = 8

    def __init__(self, spec, **runtime):
        super().__init__(spec, **runtime)
        o = self.options
        self.base_url = str(o["base_url"]).rstrip("/")
        self.max_concurrency = int(o["max_concurrency"])
        self.system_prompt = read_prompt(spec, o["system_prompt_file"]) if o["system_prompt_file"] else None
        self.limiter = RateLimiter(o["rpm"])

    def _headers(self) -> dict:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        env = self.options["api_key_env"]
        if env:
            if not os.environ.get(env):
                raise ModelUnavailable(f"model {self.spec.name!r}: set {env} (the server's API key)")
            headers["Authorization"] = f"Bearer {os.environ[env]}"
        return headers

    @classmethod
    def readiness(cls, spec):
        base = str(spec.options.get("base_url") or cls.option_defaults["base_url"]).rstrip("/")
        env = spec.options.get("api_key_env")
        if env and not os.environ.get(env):
            return False, f"no API key: set {env}"
        try:
            with urllib.request.urlopen(f"{base}/models", timeout=2) as response:
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

    def describe(self):
        info = {
            "base_url": self.base_url,
            "model": self.options["model"],
            "max_concurrency": self.max_concurrency,
            "decoding": {k: self.options[k] for k in ("temperature", "top_p", "seed", "max_tokens", "extra_body")},
            "system_prompt_sha256": sha256_text(self.system_prompt) if self.system_prompt is not None else None,
        }
        try:
            with urllib.request.urlopen(f"{self.base_url}/models", timeout=5) as response:
                info["server_models"] = [m.get("id") for m in json.load(response).get("data", [])]
        except (urllib.error.URLError, OSError, ValueError, AttributeError):
            pass
        return info

    def body(self, question: str) -> dict:
        o = self.options
        messages = [{"role": "system", "content": self.system_prompt}] if self.system_prompt is not None else []
        messages.append({"role": "user", "content": question})
        body = {
            "model": o["model"],
            "messages": messages,
            "max_tokens": int(o["max_tokens"]),
            "temperature": float(o["temperature"]),
            "top_p": float(o["top_p"]),
            "stream": False,
        }
        if o["seed"] is not None:
            body["seed"] = int(o["seed"])
        body.update(o["extra_body"] or {})
        return body

    def generate(self, item):
        data = json.dumps(self.body(item.question)).encode("utf-8")
        headers = self._headers()
        o = self.options
        retries = 0
        started = time.perf_counter()
        while True:
            self.limiter.wait()
            attempt = time.perf_counter()
            delay = None
            try:
                request = urllib.request.Request(f"{self.base_url}/chat/completions", data=data, headers=headers)
                with urllib.request.urlopen(request, timeout=float(o["timeout_s"])) as response:
                    payload = json.load(response)
                return self._parse(payload, (time.perf_counter() - attempt) * 1000, retries, started)
            except urllib.error.HTTPError as exc:
                text = exc.read().decode("utf-8", "replace")[:300]
                if exc.code == 404:
                    return Generation(
                        infra_error=f"model unavailable: {o['model']} at {self.base_url} (HTTP 404: {text})",
                        retries=retries,
                    )
                if exc.code not in (408, 429) and exc.code < 500:
                    return Generation(
                        infra_error=f"server refused the request: HTTP {exc.code}: {text}", retries=retries
                    )
                delay = parse_retry_after(exc.headers.get("Retry-After"))
                problem = f"HTTP {exc.code}: {text}"
            except TimeoutError:
                problem = f"timed out after {o['timeout_s']}s"
            except (urllib.error.URLError, ConnectionError, OSError) as exc:
                if isinstance(getattr(exc, "reason", None), (TimeoutError, socket.timeout)):
                    problem = f"timed out after {o['timeout_s']}s"
                else:
                    problem = f"connection failed: {_reason(exc)}"
            except http.client.HTTPException as exc:
                problem = f"broken response: {type(exc).__name__} {exc}"
            except (_Failed, ValueError) as exc:  # a 200 that is not a chat completion
                return Generation(infra_error=f"{self.base_url}: {exc}", retries=retries)
            if retries >= int(o["max_retries"]):
                return Generation(
                    infra_error=f"{self.base_url}: {problem} (gave up after {retries} retries)", retries=retries
                )
            if delay is not None and delay > float(o["max_wait_s"]):
                return Generation(
                    infra_error=f"{self.base_url}: {problem}; asked to wait {delay:.0f}s", retries=retries
                )
            time.sleep(
                delay if delay is not None else backoff(retries, float(o["backoff_s"]), float(o["max_backoff_s"]))
            )
            retries += 1

    @staticmethod
    def _parse(payload, ms: float, retries: int, started: float) -> Generation:
        try:
            choice = payload["choices"][0]
            text = choice["message"].get("content")
        except (KeyError, IndexError, TypeError, AttributeError):
            raise _Failed(f"not an OpenAI chat completion: {json.dumps(payload)[:300]}") from None
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
