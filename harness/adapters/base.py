"""The one adapter base class every model back end implements.

An adapter turns a suite item into a `Generation`. Infra trouble (rate limits,
server down, retired model) is reported in `Generation.infra_error`, never raised
and never disguised as model output: the runner records it as `infra_model`, and
`--resume` retries it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from ..suitegen.model import SuiteItem


@dataclass
class Generation:
    output: str | None = None  # raw model text (None when the call failed)
    infra_error: str | None = None  # set when no usable answer came back for infra reasons
    gen_ms: float | None = None
    prompt_tokens: int | None = None
    output_tokens: int | None = None
    finish_reason: str | None = None
    retries: int = 0
    meta: dict = field(default_factory=dict)


@dataclass
class ModelSpec:
    """One `models/<name>.toml`: which adapter, and that adapter's options."""

    name: str
    adapter: str
    options: dict = field(default_factory=dict)
    path: str | None = None  # the TOML file, if any
    description: str = ""


class Adapter:
    """Base class: declare `name`, `option_defaults`, `needs`; implement `generate`."""

    name: ClassVar[str] = ""
    option_defaults: ClassVar[dict] = {}
    needs: ClassVar[str] = ""  # what must exist before it can run (key, file, server), for `models list`
    max_concurrency: ClassVar[int] = 1  # how many generate() calls may run at once

    def __init__(self, spec: ModelSpec, **runtime):
        unknown = set(spec.options) - set(self.option_defaults)
        if unknown:
            from ..errors import ModelUnavailable

            raise ModelUnavailable(
                f"{spec.path or spec.name}: unknown option(s) {', '.join(sorted(unknown))} for adapter "
                f"{self.name!r} (known: {', '.join(sorted(self.option_defaults)) or 'none'})"
            )
        self.spec = spec
        self.options = {**self.option_defaults, **spec.options}
        self.runtime = runtime

    @classmethod
    def readiness(cls, spec: ModelSpec) -> tuple[bool, str]:
        """(ready, what it uses or why not) from quick checks only, no model loading: `models list`."""
        return True, cls.needs

    def check(self) -> None:
        """Raise ModelUnavailable naming the exact fix when the model cannot run."""

    def describe(self) -> dict:
        """What the run should record about this model beyond its spec (template hash, device...)."""
        return {}

    def generate(self, item: SuiteItem) -> Generation:
        raise NotImplementedError

    def close(self) -> None:
        pass
