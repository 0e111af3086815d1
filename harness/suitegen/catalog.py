"""Every question template, in one place above the modules that define them (templates.py holds their parts)."""

from __future__ import annotations

from .templates import Template
from .templates_evidence import TEMPLATES as evidence
from .templates_lookup import TEMPLATES as lookup


def all_templates() -> list[Template]:
    return sorted([*lookup, *evidence], key=lambda t: (t.family, t.code))
