"""The hash locks are complete closures.

`make install` and the Docker image install them with `pip install --no-deps
--require-hashes` (pip's resolver on made pip 23.2.1 look past the locked httpx
as soon as a newer one was published), so pip no longer checks that every
dependency is there: these tests do, from the metadata of the packages this
virtualenv installed from requirements-dev.lock. `pip check` repeats it at
install time; here it fails in seconds, before anyone builds an image.

`packaging` is itself locked (litellm, kombu and pytest need it), so the tests use
it rather than pip's private vendored copy; the first test makes sure it stays so."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
DEV_LOCK = "requirements-dev.lock"
RUNTIME_LOCK = "requirements.lock"
LOCKS = (DEV_LOCK, RUNTIME_LOCK)
DEV_EXTRA = "dev"

# A pin as pip-compile --generate-hashes writes it, continuation lines joined: nothing
# but name==version and its hashes, so pip has nothing to choose.
PIN = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)(?P<options>(?:\s+--hash=\S+)*)")
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")

# The pins the product is built against (see README and pyproject.toml).
EXACT_PINS = {"litellm": SpecifierSet("==1.106.2")}
PIN_RANGES = {"openai": SpecifierSet(">=2.20,<3"), "django": SpecifierSet(">=5.2,<5.3")}


@dataclass(frozen=True)
class Pin:
    version: Version
    hashes: int


@cache
def read_lock(name: str) -> dict[str, Pin]:
    text = (ROOT / name).read_text().replace("\\\n", " ")
    pins: dict[str, Pin] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = PIN.fullmatch(line)
        assert match, f"{name}: not a hashed name==version pin: {line[:120]!r}"
        package = canonicalize_name(match["name"])
        assert package not in pins, f"{name}: {package} is pinned twice"
        pins[package] = Pin(Version(match["version"]), len(HASH.findall(match["options"])))
    assert pins, f"{name} holds no pins"
    return pins


@cache
def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def project() -> dict:
    return pyproject()["project"]


def roots(lock: str) -> list[Requirement]:
    """What the lock was compiled from: the project's dependencies, plus the dev extra for the dev lock."""
    requirements = list(project()["dependencies"])
    if lock == DEV_LOCK:
        requirements += project()["optional-dependencies"][DEV_EXTRA]
    return [Requirement(requirement) for requirement in requirements]


@cache
def installed() -> dict[str, importlib.metadata.Distribution]:
    distributions: dict[str, importlib.metadata.Distribution] = {}
    for distribution in importlib.metadata.distributions():
        # The first one on sys.path is the one Python imports, as importlib.metadata.distribution() picks.
        distributions.setdefault(canonicalize_name(distribution.metadata["Name"]), distribution)
    return distributions


def applies(requirement: Requirement, extras: set[str]) -> bool:
    """Whether pip would install this requirement here, given the extras asked of its package."""
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in {""} | extras)


def unsatisfied_requirements(lock: str) -> list[str]:
    """Walks the closure from the lock's roots, extras included (litellm asks for
    httpx[http2], which needs h2), and lists every requirement the lock does not meet."""
    pins = read_lock(lock)
    problems: list[str] = []
    requested: dict[str, set[str]] = defaultdict(set)  # package -> extras asked of it so far
    queue: list[tuple[str, Requirement]] = [(f"{lock} roots (pyproject.toml)", root) for root in roots(lock)]
    expanded: set[tuple[str, str]] = set()  # (package, extra) whose requirements were already followed
    while queue:
        wanted_by, requirement = queue.pop()
        package = canonicalize_name(requirement.name)
        pin = pins.get(package)
        if pin is None:
            problems.append(f"{requirement} (wanted by {wanted_by}) is not in {lock}")
            continue
        if not requirement.specifier.contains(pin.version, prereleases=True):
            problems.append(f"{requirement} (wanted by {wanted_by}) is not met by {package}=={pin.version}")
        requested[package] |= {canonicalize_name(extra) for extra in requirement.extras}
        distribution = installed().get(package)
        if distribution is None or Version(distribution.version) != pin.version:
            found = "nothing" if distribution is None else distribution.version
            problems.append(f"{package}=={pin.version} is locked but {found} is installed; run `make install`")
            continue
        for extra in {""} | requested[package]:
            if (package, extra) in expanded:
                continue
            expanded.add((package, extra))
            for raw in distribution.requires or []:
                dependency = Requirement(raw)
                if applies(dependency, {extra} if extra else set()):
                    queue.append((f"{package}=={pin.version}" + (f"[{extra}]" if extra else ""), dependency))
    return problems


def test_packaging_is_locked_so_these_tests_read_markers_with_the_pinned_copy():
    assert "packaging" in read_lock(DEV_LOCK)
    assert Version(importlib.metadata.version("packaging")) == read_lock(DEV_LOCK)["packaging"].version


@pytest.mark.parametrize("lock", LOCKS)
def test_every_line_of_the_lock_is_an_exact_pin_with_at_least_one_hash(lock):
    unhashed = [package for package, pin in read_lock(lock).items() if pin.hashes < 1]
    assert not unhashed, f"{lock}: pins without --hash: {unhashed}"


@pytest.mark.parametrize("lock", LOCKS)
def test_every_dependency_that_applies_here_is_pinned_in_the_same_lock_at_a_version_it_accepts(lock):
    problems = unsatisfied_requirements(lock)
    assert not problems, f"{lock} is not a complete closure; `make lock` re-resolves it:\n" + "\n".join(sorted(set(problems)))


@pytest.mark.parametrize("lock", LOCKS)
def test_the_projects_own_dependencies_are_locked_at_versions_pyproject_accepts(lock):
    pins = read_lock(lock)
    for requirement in roots(lock):
        package = canonicalize_name(requirement.name)
        assert package in pins, f"{requirement} from pyproject.toml is missing from {lock}"
        assert requirement.specifier.contains(pins[package].version, prereleases=True), (
            f"{lock} pins {package}=={pins[package].version}, pyproject.toml asks for {requirement}"
        )


@pytest.mark.parametrize("lock", LOCKS)
def test_the_build_backend_is_locked_too_because_the_project_installs_without_build_isolation(lock):
    # `pip install --no-deps --no-build-isolation -e .` (Makefile, Dockerfile) builds with
    # whatever setuptools the lock installed; pip checks no build requirement then.
    pins = read_lock(lock)
    for raw in pyproject()["build-system"]["requires"]:
        requirement = Requirement(raw)
        package = canonicalize_name(requirement.name)
        assert package in pins and requirement.specifier.contains(pins[package].version, prereleases=True), (
            f"{lock} lacks the build requirement {requirement}"
        )


@pytest.mark.parametrize("lock", LOCKS)
def test_litellm_openai_and_django_are_locked_at_the_versions_the_product_is_built_on(lock):
    pins = read_lock(lock)
    for package, specifier in (EXACT_PINS | PIN_RANGES).items():
        assert pins[package].version in specifier, f"{lock} pins {package}=={pins[package].version}, expected {specifier}"


def test_the_runtime_lock_is_the_dev_lock_minus_dev_tools_at_identical_versions():
    dev, runtime = read_lock(DEV_LOCK), read_lock(RUNTIME_LOCK)
    missing = sorted(set(runtime) - set(dev))
    assert not missing, f"{RUNTIME_LOCK} pins packages {DEV_LOCK} lacks: {missing}"
    differing = {package: (str(pin.version), str(dev[package].version)) for package, pin in runtime.items() if pin.version != dev[package].version}
    assert not differing, f"runtime vs dev versions differ (tests would not cover the image): {differing}"
