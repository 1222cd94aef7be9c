"""The import rules of the house, read from the code itself (every import statement, at
module level or inside a function, of every module outside tests and migrations):

- `core` imports no app of the project;
- `accounts`, `cells` and `notifications` (the base apps) import no feature and not `reports`;
- a feature (`courses`, `pledges`, `forum`) imports no other feature and not `reports`.

`reports` may read the features (through their selectors and services).
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BASE = ("accounts", "cells", "notifications")
FEATURES = ("courses", "pledges", "forum")
PROJECT = ("core", *BASE, *FEATURES, "reports")
FORBIDDEN = {
    "core": set(PROJECT) - {"core"},
    **{app: {*FEATURES, "reports"} for app in BASE},
    **{feature: ({*FEATURES, "reports"} - {feature}) for feature in FEATURES},
}


def _modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "tests" in parts or "migrations" in parts:
            continue
        yield path


def imported_apps(path: Path) -> set[tuple[str, int]]:
    """Top-level packages imported by this file, with the line of each import."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update((alias.name.split(".")[0], node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add((node.module.split(".")[0], node.lineno))
    return found


def violations(app: str) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in _modules(app)
        for name, line in sorted(imported_apps(path))
        if name in FORBIDDEN[app]
    ]


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_app_imports_only_what_its_layer_allows(app):
    assert list(_modules(app)), f"no modules found for {app}"
    assert violations(app) == []


def test_the_check_sees_function_local_imports(tmp_path):
    """A guard that could not fail would prove nothing: an import inside a function counts."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from forum.models import Post\n    import reports.views\n", encoding="utf-8")
    assert imported_apps(module) == {("forum", 2), ("reports", 3)}
