"""Secrets never stored or shown: the one place that knows the keys and takes them out of text.

Servers and proxies often echo a request's headers in their error bodies (`x-goog-api-key`,
`Authorization: Bearer ...`), and users write credentials into URLs (`http://user:KEY@host/`,
`?key=KEY`). Whatever the harness stores (the results database), prints (every `Error:` line,
`show`, `triage`, `report`) or writes (the HTML report) passes through `redact` first, so a key
the harness knows never leaves it:

- the values of the environment variables that hold keys: the ones a model spec names
  (`api_key_env`, remembered when the spec is loaded) and the defaults in KEY_ENV_VARS;
- credentials found in URLs (`remember_url`), also in the encoded forms a request carries
  (percent-encoded, and `user:password` as HTTP Basic sends it, base64);
- and, in any text, the password of a `scheme://user:password@` URL and the value of a query
  parameter named like a credential (`key`, `token`, `api_key`, ...), known or not.

Values shorter than MIN_SECRET characters are never treated as secrets: masking them would
mangle ordinary text and they protect nothing.
"""

from __future__ import annotations

import base64
import os
import re
import threading
import urllib.parse
from typing import Any

MASK = "[REDACTED]"
MIN_SECRET = 6
KEY_ENV_VARS = ("GOOGLE_API_KEY", "GEMINI_API_KEY", "NEO4J_PASSWORD")
URL_ENV_VARS = ("HARNESS_GEMINI_BASE_URL", "NEO4J_URI")
CREDENTIAL_PARAMS = r"key|api[-_]?key|apikey|token|access[-_]?token|auth|secret|password|passwd|pwd|sig|signature"

_URL_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/\s@?#\"'<>]*)@")
_QUERY_CREDENTIAL = re.compile(rf"(?P<name>[?&;](?:{CREDENTIAL_PARAMS})=)(?P<value>[^&#\s\"'<>]+)", re.IGNORECASE)

_known: set[str] = set()
_lock = threading.Lock()
_cache: dict = {}  # known_secrets() for the environment and the remembered set it was computed from


def remember(secret: str | None) -> None:
    """Treat `secret` (and its percent-encoded form) as a key from now on, in this process."""
    if not secret or len(secret) < MIN_SECRET:
        return
    with _lock:
        _known.add(secret)
        quoted = urllib.parse.quote(secret, safe="")
        if quoted != secret:
            _known.add(quoted)


def remember_env(*names: str) -> None:
    """The values of these environment variables are keys."""
    for name in names:
        remember(os.environ.get(name))


def remember_url(url: str | None) -> None:
    """The credentials written into a URL (user:password@, ?key=...) are keys."""
    if not url:
        return
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return
    if parts.password:
        remember(urllib.parse.unquote(parts.password))
        user_pass = f"{urllib.parse.unquote(parts.username or '')}:{urllib.parse.unquote(parts.password)}"
        remember(base64.b64encode(user_pass.encode()).decode())  # as an Authorization: Basic header carries it
    elif parts.username:
        remember(urllib.parse.unquote(parts.username))  # a bare token as the user name
    for name, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=False):
        if re.fullmatch(CREDENTIAL_PARAMS, name, re.IGNORECASE):
            remember(value)


def remember_spec_options(options: dict) -> None:
    """What a model spec points at: the variable named by `api_key_env`, credentials in `base_url`."""
    env = options.get("api_key_env")
    if isinstance(env, str):
        remember_env(env)
    url = options.get("base_url")
    if isinstance(url, str):
        remember_url(url)


def known_secrets() -> list[str]:
    """Every key known now, longest first (so a key that contains another is masked whole)."""
    env = tuple(os.environ.get(name) for name in (*KEY_ENV_VARS, *URL_ENV_VARS))
    cache_key = (env, len(_known))
    if _cache.get("key") == cache_key:
        return _cache["secrets"]
    for url in env[len(KEY_ENV_VARS) :]:
        remember_url(url)
    secrets = set(_known)
    secrets.update(v for v in env[: len(KEY_ENV_VARS)] if v and len(v) >= MIN_SECRET)
    _cache.update(key=(env, len(_known)), secrets=sorted(secrets, key=len, reverse=True))
    return _cache["secrets"]


def redact_text(text: str) -> str:
    """`text` without any known key and without URL credentials."""
    for secret in known_secrets():
        if secret in text:
            text = text.replace(secret, MASK)
    if "://" in text:
        text = _URL_USERINFO.sub(lambda m: m["scheme"], text)
    if "=" in text:
        text = _QUERY_CREDENTIAL.sub(lambda m: m["name"] + MASK, text)
    return text


def redact(value: Any) -> Any:
    """Strings redacted; dicts, lists and tuples redacted all the way down; anything else as it is."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {redact(k): redact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact(v) for v in value)
    return value


def clip(text: str, limit: int) -> str:
    """The first `limit` characters of the redacted text: cut after redacting, so no key is cut in half and kept."""
    return redact_text(text)[:limit]


def without_credentials(url: str) -> tuple[str, str | None]:
    """(the URL without user:password@, the `Authorization: Basic` value those credentials meant, or None)."""
    remember_url(url)
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None
    netloc = parts.netloc.rpartition("@")[2]
    user_pass = f"{urllib.parse.unquote(parts.username or '')}:{urllib.parse.unquote(parts.password or '')}"
    basic = "Basic " + base64.b64encode(user_pass.encode()).decode()
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc)), basic
