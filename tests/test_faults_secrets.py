"""Secrets never stored or shown: a server that echoes the request (URL and headers) in its error body,
and credentials written into a spec's base_url, leave no trace of a key in the database, in `show`,
`triage`, `report` (every format), the HTML file, or an `Error:` line.

The adapters are the real ones (google-genai for gemini, urllib for endpoint) against a loopback server.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import urllib.parse

import pytest

from harness.redact import MASK, redact_text

from .kit import QuietHandler, invoke
from .test_runner import TINY_SUITE

BEARER = "sk-bearer-7f3a9c1e5b"
USERINFO = "pw-userinfo-4d8b2e6a"
QUERY = "qk-querykey-1c9e7b3f"
GEMINI = "AIza-gemini-8e2d4c6b0a"
KEYS = (BEARER, USERINFO, QUERY, GEMINI)


def forms(key: str) -> list[str]:
    """Every form in which a request carries the key (raw, percent-encoded, inside HTTP Basic)."""
    return [key, urllib.parse.quote(key, safe=""), base64.b64encode(f"user:{key}".encode()).decode()]


class Echo(QuietHandler):
    """Answers the models list, and refuses every generation with the request line and headers in its body."""

    def echo(self) -> str:
        return f"{self.requestline}\n" + "".join(f"{name}: {value}\n" for name, value in self.headers.items())

    def do_GET(self):
        self.reply_json(200, {"data": [{"id": "echo"}]})

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if ":generateContent" in self.path:  # the Gemini API's error shape
            self.reply_json(400, {"error": {"code": 400, "message": self.echo(), "status": "INVALID_ARGUMENT"}})
        else:
            self.reply_json(400, {"error": {"message": self.echo()}})


@pytest.fixture
def echo_models(loopback, tmp_path, monkeypatch):
    server = loopback(Echo)
    models = tmp_path / "models"
    models.mkdir()
    host = server.url.removeprefix("http://")
    (models / "echo-bearer.toml").write_text(
        f'adapter = "endpoint"\n[options]\nbase_url = "{server.url}/v1"\napi_key_env = "ECHO_KEY"\nmax_retries = 0\n'
    )
    (models / "echo-url.toml").write_text(
        f'adapter = "endpoint"\n[options]\nbase_url = "http://user:{USERINFO}@{host}/v1?key={QUERY}"\nmax_retries = 0\n'
    )
    (models / "echo-gemini.toml").write_text(
        f'adapter = "gemini"\n[options]\nmodel = "gemini-2.0-flash"\nmode = "single_step"\n'
        f'base_url = "{server.url}/"\nmax_retries = 0\nrpm = 0\n'
    )
    (models / "echo-gone.toml").write_text(
        f'adapter = "endpoint"\n[options]\nbase_url = "http://user:{USERINFO}@127.0.0.1:9/v1?key={QUERY}"\n'
    )
    monkeypatch.setenv("HARNESS_MODELS_DIR", str(models))
    monkeypatch.setenv("ECHO_KEY", BEARER)
    monkeypatch.setenv("GEMINI_API_KEY", GEMINI)
    return server


def assert_no_key(text: str, where: str) -> None:
    for key in KEYS:
        for form in forms(key):
            assert form not in text, (where, form, text[max(0, text.find(form) - 200) : text.find(form) + 100])


def test_redaction_masks_keys_and_url_credentials(monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", GEMINI)
    text = f"x-goog-api-key: {GEMINI}\nGET http://u:{USERINFO}@h/v1?a=1&key={QUERY}&b=2 HTTP/1.1"
    redacted = redact_text(text)
    assert_no_key(redacted, "redact_text")
    assert f"x-goog-api-key: {MASK}" in redacted and "http://h/v1?a=1&key=" in redacted and "&b=2" in redacted


def test_an_echoing_server_and_credential_urls_leave_no_key_anywhere(tiny_graph, echo_models, tmp_path):
    db = tmp_path / "r.db"
    outputs: dict[str, str] = {}
    run_ids = []
    for model in ("echo-bearer", "echo-url", "echo-gemini"):
        result = invoke("run", "--quiet", "--model", model, "--suite", TINY_SUITE, "--limit", 2, "--db", db)
        assert result.exit_code == 0, result.output
        outputs[f"run {model}"] = result.output
        run_ids.append(result.stdout.strip())
    gone = invoke("run", "--quiet", "--model", "echo-gone", "--suite", TINY_SUITE, "--limit", 2, "--db", db)
    assert gone.exit_code == 1 and "Error: " in gone.output, gone.output
    outputs["Error: line"] = gone.output

    conn = sqlite3.connect(db)
    stored = "\n".join(conn.iterdump())  # every table, every column
    errors = [row[0] for row in conn.execute("select infra_error from generations")]
    conn.close()
    assert len(errors) == 6 and all(MASK in error for error in errors), errors  # the server did echo the keys
    outputs["database"] = stored

    for run_id in run_ids:
        for args in (("show", run_id, "t1"), ("show", run_id, "t1", "--json"), ("triage", run_id)):
            result = invoke(*args, "--db", db)
            assert result.exit_code == 0, result.output
            outputs[" ".join(map(str, args))] = result.output
        result = invoke("triage", run_id, "--format", "json", "--db", db)
        outputs[f"triage json {run_id}"] = result.output
    for fmt in ("md", "json", "html"):
        outputs[f"report {fmt}"] = invoke(
            "report", "--format", fmt, "--db", db, *[f"--run={r}" for r in run_ids]
        ).output
    for table in ("runs", "summary", "conditional", "families"):
        outputs[f"report csv {table}"] = invoke(
            "report", "--format", "csv", "--table", table, "--db", db, *[f"--run={r}" for r in run_ids]
        ).output
    html = tmp_path / "report.html"
    assert invoke("report", "--format", "html", "-o", html, "--db", db).exit_code == 0
    outputs["html file"] = html.read_text()
    assert "adapter_info" in outputs["report json"] or "base_url" in outputs["report json"] or outputs["report json"]

    for where, text in outputs.items():
        assert_no_key(text, where)
    model_spec = json.loads(
        sqlite3.connect(db).execute("select model_spec from runs where model = 'echo-url'").fetchone()[0]
    )
    assert model_spec["options"]["base_url"].startswith("http://127.0.0.1:"), model_spec  # stored without credentials
