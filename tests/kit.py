"""The shared test kit: run the CLI in-process, check the one-line error contract, serve HTTP on loopback.

Fixtures built on these live in conftest.py; helpers that are plain functions live here so
test modules can import them (`from .kit import invoke, one_error_line`).
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from click.testing import CliRunner, Result

from harness.cli.main import cli


def invoke(*args, input: str | None = None, env: dict | None = None) -> Result:
    """`harness ARGS...` in this process (arguments may be paths or numbers)."""
    return CliRunner().invoke(cli, [str(arg) for arg in args], input=input, env=env)


def one_error_line(result: Result, *fragments: str, exit_code: int = 1) -> str:
    """The error contract: exactly one `Error: ...` line, the given exit code, no traceback; returns the line."""
    output = result.output
    assert result.exit_code == exit_code, (result.exit_code, output)
    assert "Traceback" not in output and not isinstance(result.exception, (AssertionError, TypeError)), output
    errors = [line for line in output.strip().splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, output
    for fragment in fragments:
        assert fragment in errors[0], (fragment, errors[0])
    return errors[0]


class LoopbackServer(ThreadingHTTPServer):
    """An HTTP server on 127.0.0.1 at a free port, serving in a daemon thread until `close()`."""

    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        super().__init__(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    def handle_error(self, request, client_address) -> None:
        """A client that gave up (a timeout under test) is expected; anything else is printed as usual.

        socketserver prints to sys.stderr, which a later CliRunner may be capturing: a late broken pipe
        would otherwise land in another test's command output."""
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that does not log, with a JSON reply helper."""

    def log_message(self, *args):
        pass

    def reply_json(self, status: int, payload, headers: dict | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        for name, value in {
            "Content-Type": "application/json",
            "Content-Length": str(len(data)),
            **(headers or {}),
        }.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
