"""The house's import arrows point one way (see the README's layout): `core` at the bottom imports no
app of ours, `directory` only `core`, no app imports `portal` (which wires them all), and nothing
imports `dashboards` (read-only oversight) or `demo` (demo data), which sits above them all. Tests
are left out: a test may use any app to set up its world."""

import ast
import sys
import tomllib
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent
# Our apps: the installed ones that live in this checkout (a new app is held to the rules at once).
APPS = tuple(config.name for config in apps.get_app_configs() if Path(config.path).parent == ROOT)


def imported_apps(app: str) -> dict[str, set[str]]:
    """Our other apps that `app`'s own code (not its tests) imports, each with the files importing it."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / app).rglob("*.py"):
        if "tests" in path.relative_to(ROOT).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top in APPS and top != app:
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_app_of_ours_is_checked():
    assert {"portal", "core", "directory", "security", "services", "dashboards", "demo"} <= set(APPS)


def test_every_app_of_ours_is_tested_and_linted_as_ours():
    """A new app left out of pytest's testpaths has its tests silently skipped by `make test`."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert set(APPS) <= set(config["tool"]["pytest"]["ini_options"]["testpaths"])
    assert set(APPS) <= set(config["tool"]["ruff"]["lint"]["isort"]["known-first-party"])


def test_the_reader_finds_imports_of_every_kind(tmp_path, monkeypatch):
    """The check below can fail: a module importing upward in either form is seen."""
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "bad.py").write_text("import services.models\nfrom security import audit\n")
    (tmp_path / "core" / "tests").mkdir()
    (tmp_path / "core" / "tests" / "test_x.py").write_text("from demo import district\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert set(imported_apps("core")) == {"services", "security"}


def test_core_imports_no_app_of_ours():
    assert imported_apps("core") == {}


def test_directory_imports_only_core():
    assert set(imported_apps("directory")) <= {"core"}


@pytest.mark.parametrize("app", [app for app in APPS if app != "portal"])
def test_no_app_imports_the_wiring_or_the_top(app):
    # demo builds demo data through every app, and refreshes the dashboards' summaries.
    upward = {"portal"} if app == "demo" else {"portal", "dashboards", "demo"} - {app}
    imports = imported_apps(app)
    assert {top: files for top, files in imports.items() if top in upward} == {}


def test_services_never_imports_partners():
    assert "partners" not in imported_apps("services")
