"""The gemini adapter through the real google-genai SDK against a loopback server that answers like the API."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness.adapters.base import ModelSpec
from harness.adapters.gemini import GeminiAdapter
from harness.errors import ModelUnavailable
from harness.suitegen.model import SuiteItem

from .kit import LoopbackServer, QuietHandler

KEY = "test-key-123"
ITEMS = [
    SuiteItem(
        id="q1",
        family_id="F1",
        question="Which therapies target EGFR?",
        cypher="MATCH (t:Therapy)-[:TARGETS]->(g:Gene {symbol: 'EGFR'}) RETURN t.name LIMIT 50",
    ),
    SuiteItem(
        id="q2",
        family_id="F1",
        question="What gene is BRAF V600E a variant of?",
        cypher="MATCH (v:Variant {name: 'BRAF V600E'})-[:VARIANT_OF]->(g:Gene) RETURN g.symbol LIMIT 5",
    ),
    SuiteItem(
        id="q3",
        family_id="F1",
        question="Which genes does Iressa target?",
        cypher="MATCH (t:Therapy {name: 'Gefitinib'})-[:TARGETS]->(g:Gene) RETURN g.symbol LIMIT 50",
    ),
    SuiteItem(
        id="q4",
        family_id="F1",
        question="List the variants of KRAS",
        cypher="MATCH (v:Variant)-[:VARIANT_OF]->(g:Gene {symbol: 'KRAS'}) RETURN v.name LIMIT 50",
    ),
    SuiteItem(
        id="q5",
        family_id="F1",
        question="Which therapies target KRAS?",
        cypher="MATCH (t:Therapy)-[:TARGETS]->(g:Gene {symbol: 'KRAS'}) RETURN t.name LIMIT 50",
    ),
]
WRONG = "MATCH (n) RETURN n LIMIT 1"


class StubGemini(LoopbackServer):
    """Answers POST /v1beta/models/{model}:generateContent as the Gemini API does.

    The expand step (prompt without "Instructions prepared") gets instructions naming the
    question; the Cypher step gets the gold query for some questions and a wrong one for
    others, so accuracy is something a test can compare. `fault(n)` may replace call n's answer.
    """

    def __init__(self):
        super().__init__(_Handler)
        self.lock = threading.Lock()
        self.calls: list[dict] = []
        self.fault = lambda number, model: None
        self.served_429 = 0
        self.delay_s = 0.0

    @property
    def url(self) -> str:
        return f"{super().url}/"

    def answer(self, model: str, prompt: str):
        with self.lock:
            number = len(self.calls)
            self.calls.append({"model": model, "prompt": prompt, "at": time.monotonic()})
        fault = self.fault(number, model)
        if fault is not None:
            if fault[0] == 429:
                with self.lock:
                    self.served_429 += 1
            return fault
        if model == "gemini-retired":
            return (
                404,
                {
                    "error": {
                        "code": 404,
                        "message": f"models/{model} is not found for API version v1beta",
                        "status": "NOT_FOUND",
                    }
                },
                {},
            )
        question = next(i for i in ITEMS if i.question in prompt)
        if "Instructions prepared" in prompt:
            text = question.cypher if question.id in ("q1", "q2", "q3") else WRONG
        else:
            text = f"1. entities of: {question.question}"
        body = {
            "candidates": [
                {"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": "STOP", "index": 0}
            ],
            "usageMetadata": {
                "promptTokenCount": len(prompt.split()),
                "candidatesTokenCount": len(text.split()),
                "totalTokenCount": len(prompt.split()) + len(text.split()),
            },
            "modelVersion": f"{model}-001",
        }
        return 200, body, {}


class _Handler(QuietHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        model = self.path.split("/models/")[1].split(":")[0]
        if self.headers.get("x-goog-api-key") != KEY:
            status, payload, headers = (
                403,
                {"error": {"code": 403, "message": "bad key", "status": "PERMISSION_DENIED"}},
                {},
            )
        else:
            prompt = body["contents"][0]["parts"][0]["text"]
            status, payload, headers = self.server.answer(model, prompt)
        if self.server.delay_s:
            time.sleep(self.server.delay_s)
        self.reply_json(status, payload, headers)


def rate_limited(delay: str = "0.05s"):
    return (
        429,
        {
            "error": {
                "code": 429,
                "message": "Resource has been exhausted (e.g. check quota).",
                "status": "RESOURCE_EXHAUSTED",
                "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}],
            }
        },
        {},
    )


def server_error():
    return 500, {"error": {"code": 500, "message": "An internal error has occurred.", "status": "INTERNAL"}}, {}


@pytest.fixture
def stub():
    server = StubGemini()
    yield server
    server.close()


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv("GOOGLE_API_KEY", KEY)


def make(stub, model="gemini-2.0-flash", **options) -> GeminiAdapter:
    options = {"model": model, "base_url": stub.url, "rpm": 0, "backoff_s": 0.01, **options}
    return GeminiAdapter(ModelSpec(name=model, adapter="gemini", options=options))


def run_all(adapter, items=ITEMS):
    """As the runner does: up to max_concurrency items at once."""
    with ThreadPoolExecutor(adapter.max_concurrency) as pool:
        return dict(zip([i.id for i in items], pool.map(adapter.generate, items)))


def accuracy(generations) -> float:
    gold = {i.id: i.cypher for i in ITEMS}
    return sum(g.output == gold[i] for i, g in generations.items()) / len(generations)


def test_two_step_pipeline_with_usage_token_counts(stub, key):
    adapter = make(stub)
    adapter.check()
    generation = adapter.generate(ITEMS[0])
    assert generation.output == ITEMS[0].cypher and generation.infra_error is None
    expand, cypher = stub.calls
    assert "Question: Which therapies target EGFR?" in expand["prompt"] and "(Therapy)-[:TARGETS" in expand["prompt"]
    assert "1. entities of: Which therapies target EGFR?" in cypher["prompt"]  # step 2 sees step 1's instructions
    assert generation.prompt_tokens == len(expand["prompt"].split()) + len(cypher["prompt"].split())
    assert generation.output_tokens == len(["1.", "entities", "of:", "Which", "therapies", "target", "EGFR?"]) + len(
        ITEMS[0].cypher.split()
    )
    assert generation.finish_reason == "stop" and generation.retries == 0
    assert generation.meta["model_version"] == "gemini-2.0-flash-001" and generation.meta["calls"] == 2
    assert generation.meta["instructions"].startswith("1. entities of")


def test_single_step_makes_one_call(stub, key):
    generation = make(stub, mode="single_step").generate(ITEMS[3])
    assert len(stub.calls) == 1 and "Question: List the variants of KRAS" in stub.calls[0]["prompt"]
    assert generation.output.startswith("1. entities of")  # the stub's step-1 answer, returned as is
    assert generation.prompt_tokens == len(stub.calls[0]["prompt"].split())


def test_rate_limit_storm_changes_nothing_but_the_retry_count(stub, key):
    clean = run_all(make(stub))
    assert stub.served_429 == 0 and all(g.retries == 0 for g in clean.values())
    stub.calls.clear()
    stub.fault = lambda number, model: rate_limited() if number % 3 == 2 else None  # every third call
    stormy = run_all(make(stub))
    assert stub.served_429 >= len(ITEMS) * 2 // 3
    assert all(g.infra_error is None for g in stormy.values())
    assert {i: g.output for i, g in stormy.items()} == {i: g.output for i, g in clean.items()}
    assert accuracy(stormy) == accuracy(clean) == 0.6
    assert sum(g.retries for g in stormy.values()) == stub.served_429  # every 429 is counted once


def test_retry_waits_for_the_servers_retry_delay(stub, key):
    stub.fault = lambda number, model: rate_limited("0.6s") if number == 0 else None
    generation = make(stub, mode="single_step").generate(ITEMS[0])
    first, second = stub.calls
    assert generation.retries == 1 and generation.infra_error is None
    assert second["at"] - first["at"] >= 0.6  # the server's RetryInfo, not the 0.01 s backoff


def test_retry_after_header_is_honoured(stub, key):
    stub.fault = lambda number, model: (
        (503, {"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}}, {"Retry-After": "1"})
        if number == 0
        else None
    )
    generation = make(stub, mode="single_step").generate(ITEMS[0])
    assert generation.retries == 1 and stub.calls[1]["at"] - stub.calls[0]["at"] >= 1.0


def test_persistent_server_errors_become_infra_after_retries(stub, key):
    stub.fault = lambda number, model: server_error()
    generation = make(stub, max_retries=2).generate(ITEMS[0])
    assert generation.output is None and generation.retries == 2 and len(stub.calls) == 3
    assert "500" in generation.infra_error and "gave up after 2 retries" in generation.infra_error


def test_retired_model_is_model_unavailable_not_retried(stub, key):
    generation = make(stub, model="gemini-retired").generate(ITEMS[0])
    assert generation.output is None and generation.infra_error.startswith("model unavailable: gemini-retired")
    assert len(stub.calls) == 1 and generation.retries == 0


def test_timeout_is_infra(stub, key):
    stub.delay_s = 6.0
    started = time.monotonic()
    generation = make(stub, timeout_s=0.5, max_retries=0).generate(ITEMS[0])
    assert generation.output is None and "timed out" in generation.infra_error
    assert time.monotonic() - started < 5  # gave up at the timeout, did not wait for the 6 s answer


def test_refused_connection_is_infra(key):
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    adapter = GeminiAdapter(
        ModelSpec(
            name="g",
            adapter="gemini",
            options={
                "model": "gemini-2.0-flash",
                "base_url": f"http://127.0.0.1:{port}/",
                "max_retries": 1,
                "backoff_s": 0.01,
                "rpm": 0,
            },
        )
    )
    generation = adapter.generate(ITEMS[0])
    assert generation.output is None and "connection failed" in generation.infra_error and generation.retries == 1


def test_requests_per_minute_are_spaced(stub, key):
    adapter = make(stub, mode="single_step", rpm=300)  # one request per 0.2 s
    released, wait = [], adapter.limiter.wait

    def timed_wait():
        delay = wait()
        released.append(time.monotonic())
        return delay

    adapter.limiter.wait = timed_wait
    started = time.monotonic()
    run_all(adapter, ITEMS[:4])
    assert len(stub.calls) == 4 and len(released) == 4
    # The k-th release can come no sooner than k intervals after the start, however the threads are
    # scheduled (a loaded machine only delays a release); arrival times at the stub would be noisy.
    assert all(at - started >= k * 0.2 - 0.001 for k, at in enumerate(sorted(released))), released


def test_base_url_from_environment_and_key_from_gemini_api_key(stub, monkeypatch):
    monkeypatch.setenv("HARNESS_GEMINI_BASE_URL", stub.url)
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    adapter = GeminiAdapter(ModelSpec(name="g", adapter="gemini", options={"model": "gemini-2.5-flash-lite", "rpm": 0}))
    assert adapter.generate(ITEMS[1]).output == ITEMS[1].cypher
    assert stub.calls[0]["model"] == "gemini-2.5-flash-lite"


def test_missing_key_names_the_variables(stub):
    adapter = make(stub)
    assert GeminiAdapter.readiness(adapter.spec) == (False, "no API key: set GOOGLE_API_KEY or GEMINI_API_KEY")
    with pytest.raises(ModelUnavailable, match="GOOGLE_API_KEY or GEMINI_API_KEY"):
        adapter.check()
