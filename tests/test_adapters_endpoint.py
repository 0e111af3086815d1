"""The endpoint adapter against llama-cpp-python's own OpenAI-compatible server running the tiny GGUF on loopback."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness.adapters.base import ModelSpec
from harness.adapters.endpoint import EndpointAdapter
from harness.adapters.llama_cpp import LlamaCppAdapter
from harness.errors import ModelUnavailable
from harness.suitegen.model import SuiteItem

from .kit import QuietHandler

QUESTIONS = ("Which therapies target EGFR?", "What genes does Osimertinib target?", "List variants of KRAS")
GREEDY = {"top_k": 1, "repeat_penalty": 1.0}  # llama.cpp servers' own defaults are not greedy


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def item(question: str, number: int = 0) -> SuiteItem:
    return SuiteItem(id=f"e{number}", family_id="F1", question=question, cypher="MATCH (g:Gene) RETURN g LIMIT 1")


@pytest.fixture(scope="module")
def system_prompt(tmp_path_factory):
    path = tmp_path_factory.mktemp("prompt") / "system.txt"
    path.write_text("You translate questions into Cypher.\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def server(tiny_gguf, tmp_path_factory):
    port = free_port()
    log = open(tmp_path_factory.mktemp("server") / "server.log", "w")  # noqa: SIM115 (closed at teardown)
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(tiny_gguf),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "1024",
        "--n_threads",
        "1",
        "--n_threads_batch",
        "1",
        "--verbose",
        "False",
    ]
    process = subprocess.Popen(command, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"{base}/models", timeout=1).read()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"llama_cpp.server did not start; see {log.name}") from None
            time.sleep(0.3)
    yield base
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def make(base_url: str, **options) -> EndpointAdapter:
    options = {"base_url": base_url, "model": "tiny", "max_tokens": 8, "extra_body": GREEDY, **options}
    return EndpointAdapter(ModelSpec(name="tiny-endpoint", adapter="endpoint", options=options))


def test_answers_exactly_like_the_in_process_adapter(server, tiny_gguf, system_prompt):
    remote = make(server, system_prompt_file=str(system_prompt))
    remote.check()
    local = LlamaCppAdapter(
        ModelSpec(
            name="tiny",
            adapter="llama_cpp",
            options={
                "model_path": str(tiny_gguf),
                "system_prompt_file": str(system_prompt),
                "max_tokens": 8,
                "n_threads": 1,
            },
        )
    )
    for number, question in enumerate(QUESTIONS):
        got, expected = remote.generate(item(question, number)), local.generate(item(question, number))
        assert got.infra_error is None
        assert (got.output, got.prompt_tokens, got.output_tokens, got.finish_reason) == (
            expected.output,
            expected.prompt_tokens,
            expected.output_tokens,
            expected.finish_reason,
        )
    local.close()


def test_concurrent_requests_give_the_sequential_answers(server):
    adapter = make(server, max_concurrency=8)
    assert adapter.max_concurrency == 8
    expected = {q: adapter.generate(item(q)).output for q in QUESTIONS}
    work = [item(q, n) for n, q in enumerate(QUESTIONS * 2)]
    with ThreadPoolExecutor(adapter.max_concurrency) as pool:
        results = list(pool.map(adapter.generate, work))
    assert [g.output for g in results] == [expected[i.question] for i in work]
    assert all(g.infra_error is None and g.gen_ms > 0 for g in results)


def test_readiness_reports_a_reachable_server(server, tiny_gguf):
    ready, detail = EndpointAdapter.readiness(make(server).spec)
    assert ready and server in detail
    assert make(server).describe()["server_models"] == [str(tiny_gguf)]  # what the server says it serves


def test_refused_connection_is_infra_not_output():
    adapter = make(f"http://127.0.0.1:{free_port()}/v1", max_retries=1, backoff_s=0.01)
    generation = adapter.generate(item(QUESTIONS[0]))
    assert generation.output is None and generation.retries == 1
    assert "connection failed" in generation.infra_error and "Connection refused" in generation.infra_error
    ready, why = EndpointAdapter.readiness(adapter.spec)
    assert not ready and "no server answers" in why
    with pytest.raises(ModelUnavailable, match="no server answers"):
        adapter.check()


class _Flaky(QuietHandler):
    """503 with Retry-After for the first request, a 404 for model 'gone', else one chat completion."""

    calls: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.calls.append((time.monotonic(), body))
        if body["model"] == "gone":
            status, payload, extra = 404, {"error": {"message": "model 'gone' not found"}}, {}
        elif len(self.calls) == 1:
            status, payload, extra = 503, {"error": {"message": "loading"}}, {"Retry-After": "1"}
        else:
            status, extra = 200, {}
            payload = {
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": "MATCH (n) RETURN n LIMIT 1"},
                    }
                ],
                "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
            }
        self.reply_json(status, payload, extra)


def test_server_busy_is_retried_after_retry_after_and_404_is_model_unavailable(loopback):
    _Flaky.calls = []
    stub = loopback(_Flaky)
    base = f"{stub.url}/v1"
    generation = make(base, model="m", backoff_s=0.01).generate(item(QUESTIONS[0]))
    assert generation.output == "MATCH (n) RETURN n LIMIT 1" and generation.retries == 1
    assert (generation.prompt_tokens, generation.output_tokens, generation.finish_reason) == (11, 7, "stop")
    assert _Flaky.calls[1][0] - _Flaky.calls[0][0] >= 1.0  # waited as Retry-After said
    sent = _Flaky.calls[1][1]
    assert sent["temperature"] == 0.0 and sent["top_k"] == 1 and sent["messages"][-1]["content"] == QUESTIONS[0]
    gone = make(base, model="gone").generate(item(QUESTIONS[0]))
    assert gone.output is None and gone.infra_error.startswith("model unavailable: gone")
