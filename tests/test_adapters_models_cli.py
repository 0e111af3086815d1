"""`harness models list` and `harness models pull` through the CLI, without network (loopback only)."""

from __future__ import annotations

import hashlib
import json
import shutil
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from .kit import invoke, one_error_line

REPO_MODELS = Path(__file__).resolve().parent.parent / "models"
SHIPPED = {
    "ft",
    "base",
    "gemini-2.0-flash",
    "gemini-2.5-flash-lite",
    "gemini-flash-lite-latest",
    "endpoint",
    "gold",
    "retrieval",
}


@pytest.fixture
def shipped_specs(tmp_path) -> Path:
    """The shipped specs without whatever weights sit beside them in models/ on this machine (the ft
    GGUF, once converted, lives there): readiness then depends on the specs alone."""
    folder = tmp_path / "shipped"
    folder.mkdir()
    for spec in REPO_MODELS.glob("*.toml"):
        shutil.copy(spec, folder / spec.name)
    return folder


def listed(monkeypatch, folder) -> dict:
    monkeypatch.setenv("HARNESS_MODELS_DIR", str(folder))
    result = invoke("models", "list", "--json")
    assert result.exit_code == 0, result.output
    return {row["name"]: row for row in json.loads(result.output)}


def test_lists_every_shipped_spec_with_readiness(monkeypatch, shipped_specs):
    rows = listed(monkeypatch, shipped_specs)
    assert set(rows) >= SHIPPED
    assert rows["gold"]["ready"] and rows["retrieval"]["ready"]
    assert not rows["ft"]["ready"] and "`harness models pull ft`" in rows["ft"]["detail"]
    assert not rows["base"]["ready"] and "Qwen3-4B-Instruct-2507-Q8_0.gguf" in rows["base"]["detail"]
    assert rows["gemini-2.0-flash"] == {
        **rows["gemini-2.0-flash"],
        "ready": False,
        "detail": "no API key: set GOOGLE_API_KEY or GEMINI_API_KEY",
    }
    monkeypatch.setenv("GEMINI_API_KEY", "k")
    assert listed(monkeypatch, shipped_specs)["gemini-2.5-flash-lite"]["ready"]
    text = invoke("models", "list")
    assert text.exit_code == 0 and "ready" in text.output and "gemini-flash-lite-latest" in text.output


def test_ready_when_weights_present_and_server_answers(monkeypatch, tmp_path, tiny_gguf, loopback):
    class Models(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            data = b'{"object": "list", "data": [{"id": "m"}]}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = loopback(Models)
    (tmp_path / "tiny.toml").write_text(f'adapter = "llama_cpp"\n[options]\nmodel_path = "{tiny_gguf}"\n')
    (tmp_path / "up.toml").write_text(f'adapter = "endpoint"\n[options]\nbase_url = "{server.url}/v1"\n')
    (tmp_path / "down.toml").write_text('adapter = "endpoint"\n[options]\nbase_url = "http://127.0.0.1:9/v1"\n')
    rows = listed(monkeypatch, tmp_path)
    assert rows["tiny"]["ready"] and str(tiny_gguf) in rows["tiny"]["detail"]
    assert rows["up"]["ready"] and not rows["down"]["ready"] and "no server answers" in rows["down"]["detail"]


def test_pull_offline_is_one_clear_line(monkeypatch):
    monkeypatch.setenv("HARNESS_MODELS_DIR", str(REPO_MODELS))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    one_error_line(invoke("models", "pull", "base"), "HF_HUB_OFFLINE")
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    one_error_line(
        invoke("models", "pull", "base"), "cannot reach the Hugging Face Hub", "unsloth/Qwen3-4B-Instruct-2507-GGUF"
    )


def test_pull_of_a_safetensors_only_model_gives_the_conversion_command(monkeypatch, shipped_specs):
    monkeypatch.setenv("HARNESS_MODELS_DIR", str(shipped_specs))
    one_error_line(invoke("models", "pull", "ft"), "scripts/convert_to_gguf.sh ib565/qwen3-4b-ft-oncograph-16bit")
    one_error_line(invoke("models", "pull", "gold"), "no weights to pull")


PAYLOAD = b"GGUF" + bytes(range(256)) * (96 * 1024)  # 24 MiB: more than one 10 MiB download chunk
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


class FakeHub(BaseHTTPRequestHandler):
    """The Hub's resolve endpoint; the first GET dies half way, so finishing needs a ranged (resumed) request."""

    gets: list = []

    def log_message(self, *args):
        pass

    def _headers(self, status, start=0):
        self.send_response(status)
        for name, value in {
            "X-Repo-Commit": "c" * 40,
            "ETag": f'"{PAYLOAD_SHA}"',
            "X-Linked-Etag": f'"{PAYLOAD_SHA}"',
            "X-Linked-Size": str(len(PAYLOAD)),
            "Content-Length": str(len(PAYLOAD) - start),
            "Accept-Ranges": "bytes",
        }.items():
            self.send_header(name, value)
        self.end_headers()

    def do_HEAD(self):
        self._headers(200)

    def do_GET(self):
        ranged = self.headers.get("Range")
        self.gets.append(ranged)
        start = int(ranged.split("=")[1].split("-")[0]) if ranged else 0
        self._headers(206 if ranged else 200, start)
        if len(self.gets) == 1:
            self.wfile.write(PAYLOAD[: len(PAYLOAD) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(PAYLOAD[start:])


def hub_spec(folder: Path, sha256: str | None = None) -> None:
    pin = f'sha256 = "{sha256}"\n' if sha256 else ""
    (folder / "m.toml").write_text(
        'adapter = "llama_cpp"\n[options]\nmodel_path = "m-q8_0.gguf"\n'
        f'hf_repo = "org/m-GGUF"\nhf_file = "m.Q8_0.gguf"\n{pin}'
    )


def test_pull_resumes_and_verifies_the_hubs_hash(monkeypatch, tmp_path, loopback):
    FakeHub.gets = []
    hub = loopback(FakeHub)
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("HARNESS_MODELS_DIR", str(tmp_path))
    hub_spec(tmp_path)
    result = invoke("models", "pull", "m")  # the transfer breaks half way and is resumed, not restarted
    assert result.exit_code == 0, result.output
    target = tmp_path / "m-q8_0.gguf"
    assert result.output.strip().splitlines()[-1] == str(target)
    assert "sha256 verified against the Hub's LFS sha256" in result.output
    assert target.read_bytes() == PAYLOAD
    assert any(r and r.startswith("bytes=") and not r.startswith("bytes=0-") for r in FakeHub.gets), FakeHub.gets


def test_pinned_sha256_mismatch_deletes_the_file(monkeypatch, tmp_path, loopback):
    FakeHub.gets = ["pretend the first GET already happened"]
    hub = loopback(FakeHub)
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("HARNESS_MODELS_DIR", str(tmp_path))
    hub_spec(tmp_path, sha256="0" * 64)
    one_error_line(invoke("models", "pull", "m"), "does not match the spec's sha256")
    assert not (tmp_path / "m-q8_0.gguf").exists()


def test_present_file_with_matching_pin_needs_no_network(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("HARNESS_MODELS_DIR", str(tmp_path))
    (tmp_path / "m-q8_0.gguf").write_bytes(PAYLOAD)
    hub_spec(tmp_path, sha256=PAYLOAD_SHA)
    result = invoke("models", "pull", "m")
    assert result.exit_code == 0 and "present, sha256 matches" in result.output
