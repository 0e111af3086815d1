"""Which adapters exist: every back end, built in or not, registers through one entry-point group.

A package adds an adapter by declaring, in its pyproject.toml,

    [project.entry-points."harness.adapters"]
    echo = "harness_echo:EchoAdapter"
    heavy = "harness_echo.heavy:HeavyAdapter [gpu]"   # needs the package's `gpu` extra

The harness registers its own back ends the same way (see its pyproject.toml). Nothing is imported
until an adapter is used, so a heavy SDK costs nothing to a run that does not need it; before
importing, the requirements the entry point declares are checked, so a missing dependency is one
`Error:` line with the `pip install` that fixes it (as inspect_ai's model APIs do).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import metadata

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ..errors import ModelUnavailable

GROUP = "harness.adapters"


@dataclass(frozen=True)
class AdapterEntry:
    """One registered adapter: where it comes from and what it needs, before anything is imported."""

    name: str
    target: str  # "module:Class"
    extras: tuple[str, ...]
    dist: str  # the distribution that registered it
    version: str

    @property
    def source(self) -> str:
        return f"{self.dist} {self.version}"

    def requirements(self) -> list[Requirement]:
        """The distribution's own requirements plus those of the extras the entry point names."""
        needed = []
        for text in _dist_requires(self.dist):
            try:
                requirement = Requirement(text)
            except InvalidRequirement:
                continue
            if canonicalize_name(requirement.name) == canonicalize_name(self.dist):
                continue  # an extra that names other extras of the same package ("all")
            if self._applies(requirement):
                needed.append(requirement)
        return needed

    def _applies(self, requirement: Requirement) -> bool:
        marker = requirement.marker
        if marker is None:
            return True
        if "extra" not in str(marker):
            return marker.evaluate({"extra": ""})
        return any(marker.evaluate({"extra": extra}) for extra in self.extras)

    def missing(self) -> list[Requirement]:
        """Requirements that are not installed, or installed at a version outside their range."""
        absent = []
        for requirement in self.requirements():
            try:
                version = metadata.version(requirement.name)
            except metadata.PackageNotFoundError:
                absent.append(requirement)
                continue
            if requirement.specifier and not requirement.specifier.contains(version, prereleases=True):
                absent.append(requirement)
        return absent

    def install_hint(self, absent: list[Requirement]) -> str:
        command = "pip install " + " ".join(f"'{_bare(requirement)}'" for requirement in absent)
        if self.extras:
            command += f" (or: pip install '{self.dist}[{','.join(self.extras)}]')"
        return command

    def load(self):
        """The adapter class; one ModelUnavailable line (with the install command) when it cannot load."""
        absent = self.missing()
        if absent:
            names = ", ".join(sorted({requirement.name for requirement in absent}))
            raise ModelUnavailable(
                f"adapter {self.name!r} ({self.source}) needs {names}, not installed: {self.install_hint(absent)}"
            )
        module_name, _, attribute = self.target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            raise ModelUnavailable(
                f"adapter {self.name!r} ({self.source}) cannot be imported: no module {exc.name!r} "
                f"(install the package that provides it, or reinstall {self.dist})"
            ) from None
        try:
            return getattr(module, attribute)
        except AttributeError:
            raise ModelUnavailable(f"adapter {self.name!r} ({self.source}): {self.target} does not exist") from None


def _bare(requirement: Requirement) -> str:
    """The requirement as pip takes it on a command line: name, extras, versions; no environment marker."""
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    return f"{requirement.name}{extras}{requirement.specifier}"


@cache
def _dist_requires(dist: str) -> tuple[str, ...]:
    try:
        return tuple(metadata.requires(dist) or ())
    except metadata.PackageNotFoundError:
        return ()


@lru_cache(maxsize=1)
def registered() -> dict[str, AdapterEntry]:
    """Every adapter of every installed package, by name (read once per process)."""
    entries: dict[str, AdapterEntry] = {}
    clashes: dict[str, list[str]] = {}
    for point in metadata.entry_points(group=GROUP):
        dist = point.dist.name if point.dist is not None else "?"
        version = point.dist.version if point.dist is not None else "?"
        entry = AdapterEntry(point.name, f"{point.module}:{point.attr}", tuple(point.extras), dist, version)
        if point.name in entries and entries[point.name].dist != dist:
            clashes.setdefault(point.name, [entries[point.name].dist]).append(dist)
        entries[point.name] = entry
    for name, dists in clashes.items():
        entries[name] = AdapterEntry(name, "", (), " and ".join(sorted(set(dists))), "?")
    return entries


def forget() -> None:
    """Read the entry points again (after a package was installed in this process: tests)."""
    registered.cache_clear()
    _dist_requires.cache_clear()


def adapter_names() -> list[str]:
    return sorted(registered())


def adapter_entry(name: str, package: str | None = None) -> AdapterEntry:
    """The registration of `name`; unknown names are one line saying how adapters get installed."""
    entry = registered().get(name)
    if entry is None:
        known = ", ".join(adapter_names()) or "none (is the harness installed? pip install -e .)"
        fix = (
            f"pip install '{package}'"
            if package
            else f"install the package that provides it (it registers in the {GROUP!r} entry-point group)"
        )
        raise ModelUnavailable(f"unknown adapter {name!r} (installed: {known}): {fix}")
    if not entry.target:
        raise ModelUnavailable(f"adapter {name!r} is registered by both {entry.dist}: uninstall one of them")
    return entry


def adapter_class(name: str, package: str | None = None):
    return adapter_entry(name, package).load()
