"""The cases domain imports only the standard library, ``eventsourcing.domain`` and itself:
no storage, settings, HTTP or messaging (those belong to the application and composition)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

CASES = Path(__file__).resolve().parents[2] / "services" / "cases"
DOMAIN = [*sorted((CASES / "journey").glob("*.py")), CASES / "values.py", CASES / "errors.py"]
OWN = ("services.cases.journey", "services.cases.values", "services.cases.errors")


def imported(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def allowed(module: str) -> bool:
    top = module.split(".")[0]
    return (
        top in sys.stdlib_module_names
        or module == "eventsourcing.domain"
        or any(module == own or module.startswith(own + ".") for own in OWN)
    )


@pytest.mark.parametrize("path", DOMAIN, ids=lambda p: str(p.relative_to(CASES)))
def test_the_domain_imports_no_infrastructure(path: Path) -> None:
    assert [m for m in imported(path) if not allowed(m)] == []


def test_the_check_sees_an_infrastructure_import() -> None:
    assert not allowed("shared.storage.snapshots")
    assert not allowed("eventsourcing.utils")
    assert allowed("dataclasses") and allowed("services.cases.journey.base")
