"""Prices in model specs and `harness run --cost-limit`: a run against the loopback Gemini server
stops before its estimated spend passes the limit, ends `interrupted`, and `--resume` finishes it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.adapters.specs import read_spec_file
from harness.errors import InputError
from harness.pricing import Price
from harness.store import Store

from .kit import QuietHandler, invoke, one_error_line
from .test_runner import TINY_SUITE, big_suite

KEY = "test-key-123"
PROMPT_TOKENS, OUTPUT_TOKENS = 1000, 100
PRICE = "input_per_million = 1.0\noutput_per_million = 10.0\n"  # $0.001 + $0.001 = $0.002 per call


def spec_text(url: str, price: str | None = PRICE) -> str:
    text = (
        'adapter = "gemini"\n[options]\nmodel = "gemini-2.0-flash"\nmode = "single_step"\n'
        f'base_url = "{url}/"\nrpm = 0\nmax_concurrency = 1\nmax_retries = 0\n'
    )
    return text + (f"[price]\n{price}" if price is not None else "")


@pytest.fixture
def gemini_gold(tmp_path, loopback, monkeypatch):
    """A loopback server speaking the Gemini API that answers each question with its gold query and
    reports fixed token counts; returns (the spec folder, the list of questions it was asked)."""
    answers = {
        json.loads(line)["question"]: json.loads(line)["cypher"]
        for line in (TINY_SUITE / "items.jsonl").read_text().splitlines()
    }
    asked: list[str] = []

    class Gemini(QuietHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            prompt = body["contents"][0]["parts"][0]["text"]
            question = next(q for q in answers if f"Question: {q}" in prompt)
            asked.append(question)
            self.reply_json(
                200,
                {
                    "candidates": [
                        {"content": {"parts": [{"text": answers[question]}], "role": "model"}, "finishReason": "STOP"}
                    ],
                    "usageMetadata": {
                        "promptTokenCount": PROMPT_TOKENS,
                        "candidatesTokenCount": OUTPUT_TOKENS,
                        "totalTokenCount": PROMPT_TOKENS + OUTPUT_TOKENS,
                    },
                },
            )

    server = loopback(Gemini)
    models = tmp_path / "models"
    models.mkdir()
    (models / "priced.toml").write_text(spec_text(server.url))
    (models / "unpriced.toml").write_text(spec_text(server.url, None))
    monkeypatch.setenv("HARNESS_MODELS_DIR", str(models))
    monkeypatch.setenv("GOOGLE_API_KEY", KEY)
    return models, asked


def test_price_table_is_checked(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('adapter = "gold"\n[price]\nper_hour = 0.35\n')
    assert read_spec_file(path).price == {"input_per_million": 0.0, "output_per_million": 0.0, "per_hour": 0.35}
    for bad, fragment in (
        ("per_hour = -1", ">= 0"),
        ('per_hour = "cheap"', ">= 0"),
        ("per_token = 1", "unknown price key"),
    ):
        path.write_text(f'adapter = "gold"\n[price]\n{bad}\n')
        with pytest.raises(InputError, match=fragment):
            read_spec_file(path)
    assert Price(1.0, 10.0).cost(PROMPT_TOKENS, OUTPUT_TOKENS, None) == pytest.approx(0.002)
    assert Price(per_hour=3.6).cost(None, None, 1000.0) == pytest.approx(0.001)  # 1 s at $3.60/h


def test_cost_limit_stops_the_run_and_resume_finishes_it(tiny_graph, tmp_path, gemini_gold):
    _, asked = gemini_gold
    suite, db = big_suite(tmp_path, 3), tmp_path / "r.db"  # 24 items
    args = ["run", "--quiet", "--model", "priced", "--suite", suite, "--db", db]
    first = invoke(*args, "--cost-limit", "0.011")
    assert first.exit_code == 0, first.output
    assert "cost limit reached" in first.output and "--resume" in first.output
    run_id = first.output.strip().splitlines()[-1]
    store = Store(db)
    run = store.get_run(run_id)
    # each call costs $0.002: the fifth leaves $0.010 spent, a sixth would pass $0.011
    assert run.status == "interrupted" and "cost limit" in run.error
    assert len(list(store.results(run_id))) == 5 and len(asked) == 5
    # the report's estimate agrees with what the limit counted
    cost = json.loads(invoke("report", "--db", db, "--format", "json").output)["cost"][0]
    assert cost["cost_usd"] == pytest.approx(0.010) and cost["cost_usd"] <= 0.011
    second = invoke(*args, "--resume", "--cost-limit", "1")
    assert second.exit_code == 0, second.output
    assert second.output.strip().splitlines()[-1] == run_id
    assert store.get_run(run_id).status == "finished"
    rows = list(store.results(run_id))
    assert len(rows) == 24 and all(row["outcome"] == "correct" for row in rows)
    assert len(asked) == 24  # nothing asked twice
    store.close()


def test_cost_limit_counts_what_the_run_spent_before_a_resume(tiny_graph, tmp_path, gemini_gold):
    suite, db = big_suite(tmp_path, 2), tmp_path / "r.db"  # 16 items
    args = ["run", "--quiet", "--model", "priced", "--suite", suite, "--db", db]
    invoke(*args, "--cost-limit", "0.011")  # 5 items, $0.010
    again = invoke(*args, "--resume", "--cost-limit", "0.015")  # room for two more: $0.014
    assert again.exit_code == 0, again.output
    run_id = again.output.strip().splitlines()[-1]
    with Store(db) as store:
        assert len(list(store.results(run_id))) == 7 and store.get_run(run_id).status == "interrupted"


def test_cost_limit_without_a_price_is_one_error(tiny_graph, tmp_path, gemini_gold):
    result = invoke(
        "run", "--quiet", "--model", "unpriced", "--suite", TINY_SUITE, "--db", tmp_path / "r.db", "--cost-limit", "1"
    )
    one_error_line(result, "--cost-limit needs a price")
    assert not Path(tmp_path / "r.db").exists() or not Store(tmp_path / "r.db").runs()
