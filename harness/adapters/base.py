"""The one adapter base class every model back end implements.

An adapter turns a suite item into a `Generation`. Infra trouble (rate limits,
server down, retired model) is reported in `Generation.infra_error`, never raised
and never disguised as model output: the runner records it as `infra_model`, and
`--resume` retries it.

Each adapter declares its spec options as a pydantic model (`Options`): typed, with a
description and bounds, unknown keys refused. A spec is validated when it is loaded,
so a bad value is one `Error:` line naming the file and the key, never a traceback
mid-run. See docs/ARCHITECTURE.md, "Adding an adapter".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import InputError
from ..suitegen.model import SuiteItem
from ..text import valid_text

if TYPE_CHECKING:
    from ..suitegen.model import Suite


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

    def __post_init__(self):
        if isinstance(self.output, str):
            self.output = valid_text(self.output)


@dataclass
class ModelSpec:
    """One `models/<name>.toml`: which adapter, and that adapter's options as written."""

    name: str
    adapter: str
    options: dict = field(default_factory=dict)
    path: str | None = None  # the TOML file, if any
    description: str = ""
    package: str | None = None  # the distribution that provides a plugin adapter (install hint)
    price: dict | None = None  # `[price]`, checked by pricing.py (report costs, --cost-limit)
    resources: dict = field(
        default_factory=dict
    )  # [resources]: what each Ray replica asks for (runner/ray_replicas.py)


@dataclass
class RunContext:
    """What a run hands an adapter besides its spec."""

    suite: Suite | None = None  # the suite under evaluation (retrieval and few-shot read its train split)
    driver: Any = None  # the live graph's neo4j driver
    replay: str | None = None  # --replay FILE
    concurrency: int | None = None  # --concurrency


class AdapterOptions(BaseModel):
    """Base of every adapter's options: strict types (TOML has real ones), unknown keys refused, frozen."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)


def validate_options(options_model: type[AdapterOptions], options: dict, where: str) -> AdapterOptions:
    """The spec's options as the adapter's typed model; the first problem as one InputError line."""
    try:
        return options_model.model_validate(options)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = ".".join(str(part) for part in error["loc"]) or "[options]"
            if error["type"] == "extra_forbidden":
                known = ", ".join(sorted(options_model.model_fields)) or "none"
                problems.append(f"unknown option `{key}` (known: {known})")
            else:
                problems.append(f"option `{key}`: {error['msg']} (got {error.get('input')!r})")
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InputError(f"{where}: {problems[0]}{more}") from None


class Adapter:
    """Base class: declare `name`, `Options`, `needs`; implement `generate`."""

    name: ClassVar[str] = ""
    Options: ClassVar[type[AdapterOptions]] = AdapterOptions
    needs: ClassVar[str] = ""  # what must exist before it can run (key, file, server), for `models list`
    max_concurrency: int = 1  # how many generate() calls may run at once

    def __init__(self, spec: ModelSpec, context: RunContext | None = None):
        self.spec = spec
        self.options: Any = validate_options(self.Options, spec.options, spec.path or spec.name)
        self.context = context or RunContext()

    @classmethod
    def readiness(cls, spec: ModelSpec) -> tuple[bool, str]:
        """(ready, what it uses or why not) from quick checks only, no model loading: `models list`."""
        return True, cls.needs

    def check(self) -> None:
        """Raise ModelUnavailable naming the exact fix when the model cannot run."""

    def check_ids(self, item_ids: set[str]) -> None:
        """Refuse inputs that name items the suite does not have (replay files)."""

    def describe(self) -> dict:
        """What the run should record about this model beyond its spec (template hash, device...)."""
        return {}

    def generate(self, item: SuiteItem) -> Generation:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
