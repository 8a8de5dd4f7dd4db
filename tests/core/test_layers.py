"""The core stays platform-free: no chat library, no SQLAlchemy, nothing from the layers above it."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "bot" / "core"
FORBIDDEN = ("telegram", "discord", "sqlalchemy", "aiohttp", "bot.adapters", "bot.store", "bot.bootstrap", "bot.cli")


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_core_module_imports_a_platform_or_the_store() -> None:
    found = {
        f"{path.name}: {name}"
        for path in CORE.glob("*.py")
        for name in imported(path)
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN)
    }
    assert found == set()
