"""The floor plan of docs/architecture.md, checked on the source: apps depend
downward only (Python imports, template libraries and template includes), no
cross-app import hides inside a function, `webapp/` never calls a model or
compresses itself (the engine in `analysis/` does), and `analysis/` holds
packages in layers and knows nothing of Django."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Bottom to top; an app may import, load and include only apps to its left (and itself).
APPS = ("core", "audit", "teams", "runs", "api", "llm", "analyses", "conversations", "home")
# analysis/ packages, bottom to top (docs/architecture.md, "Layers").
PACKAGES = ("redaction", "massgen", "llm", "registry", "report", "digest", "offline", "compression", "engine")
# What only the engine may use: calling a model, and shrinking a request (its plans,
# records and errors are data every layer may read).
MODEL_CLIENT = "analysis.llm.client"
COMPRESS = "compress"
_LOAD = re.compile(r"{%\s*load\s+([^%]+?)\s*%}")
_INCLUDE = re.compile(r"""{%\s*include\s+["']([a-z_]+)/""")


def _imported_names(path: Path):
    """(module, name) for every `from module import name` in `path`."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield from ((node.module, alias.name) for alias in node.names)


def _imports(path: Path):
    """(module imported, inside a function?) for every import in `path`."""
    tree = ast.parse(path.read_text(), str(path))
    inner = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inner.update(id(sub) for sub in ast.walk(node) if isinstance(sub, (ast.Import, ast.ImportFrom)))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, id(node) in inner
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, id(node) in inner


def _app_modules():
    for app in APPS:
        for path in sorted((ROOT / "webapp" / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield app, path


def _app_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "webapp" and parts[1] in APPS else None


def _tag_libraries() -> dict[str, str]:
    return {path.stem: app for app in APPS for path in (ROOT / "webapp" / app / "templatetags").glob("*.py")
            if path.stem != "__init__"}


def test_apps_import_only_apps_below_them():
    upward = [f"{path.relative_to(ROOT)} imports {module}" for app, path in _app_modules()
              for module, _ in _imports(path)
              if (other := _app_of(module)) and APPS.index(other) > APPS.index(app)]
    assert upward == []


def test_no_cross_app_import_hides_inside_a_function_except_app_ready():
    hidden = [f"{path.relative_to(ROOT)} imports {module} in a function" for app, path in _app_modules()
              for module, inside in _imports(path)
              if inside and path.name != "apps.py" and (other := _app_of(module)) and other != app]
    assert hidden == []


def test_only_the_engine_calls_models_and_compresses():
    callers = [f"{path.relative_to(ROOT)} imports {module}" for _, path in _app_modules()
               for module, _ in _imports(path) if module.startswith(MODEL_CLIENT)]
    callers += [f"{path.relative_to(ROOT)} imports {module}.{name}" for _, path in _app_modules()
                for module, name in _imported_names(path)
                if module.startswith("analysis.compression") and name == COMPRESS]
    assert callers == []


def test_templates_load_and_include_only_their_own_app_or_below():
    libraries = _tag_libraries()
    upward = []
    for app in APPS:
        for path in sorted((ROOT / "templates" / app).rglob("*.html")):
            text = path.read_text()
            for names in _LOAD.findall(text):
                for name in names.split():
                    owner = libraries.get(name)  # None: Django's or a package's (humanize, partials, static)
                    if owner and APPS.index(owner) > APPS.index(app):
                        upward.append(f"{path.relative_to(ROOT)} loads {name} of {owner}")
            for included in _INCLUDE.findall(text):
                if included in APPS and APPS.index(included) > APPS.index(app):
                    upward.append(f"{path.relative_to(ROOT)} includes a template of {included}")
    assert upward == []


def test_analysis_top_level_holds_only_packages():
    loose = [path.name for path in (ROOT / "analysis").iterdir()
             if path.suffix == ".py" and path.name != "__init__.py"]
    packages = {path.name for path in (ROOT / "analysis").iterdir() if (path / "__init__.py").exists()}
    assert loose == [] and packages == set(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_each_analysis_package_imports_only_packages_below_it_and_no_django(package):
    wrong = []
    for path in sorted((ROOT / "analysis" / package).rglob("*.py")):
        for module, _ in _imports(path):
            top = module.split(".")[0]
            if top in ("django", "webapp", "celery"):
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
            elif top == "analysis" and len(module.split(".")) > 1:
                other = module.split(".")[1]
                if other in PACKAGES and PACKAGES.index(other) > PACKAGES.index(package):
                    wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert wrong == []
