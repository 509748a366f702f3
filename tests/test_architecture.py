"""The import arrows of the architecture, checked over the package's source (no imports run)."""

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

PACKAGE = Path(__file__).resolve().parents[1] / "vjengine"
NEVER = {  # room -> rooms it must not import
    "control": {"render", "show", "modulate"},
    "render": {"control", "audio", "show"},
    "modulate": {"render", "show"},
    "audio": {"control", "render", "show", "modulate"},
    "styles": {"control", "render", "show", "modulate", "audio"},
}


def room(module: str) -> str:
    """The top-level part of vjengine a dotted module name lives in ("render", "modulate", ...)."""
    return module.split(".")[1] if module.count(".") else module


def project_imports(path: Path) -> set[str]:
    """The vjengine modules a source file imports, anywhere in it (functions included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name.startswith("vjengine.")}


def imports_by_room() -> dict[str, set[tuple[str, str]]]:
    rooms: dict[str, set[tuple[str, str]]] = {}
    for path in PACKAGE.rglob("*.py"):
        name = room(".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts))
        for target in project_imports(path):
            rooms.setdefault(name, set()).add((path.relative_to(PACKAGE).as_posix(), room(target)))
    return rooms


@pytest.mark.parametrize("source", sorted(NEVER))
def test_a_room_never_imports_what_the_architecture_forbids(source):
    wrong = sorted((path, target) for path, target in imports_by_room().get(source, ())
                   if target in NEVER[source])
    assert not wrong, f"{source} imports {wrong}"


def test_the_model_imports_nothing_of_the_project():
    assert not [(path, target) for path, target in imports_by_room().get("model", ()) if target != "model"]


def test_the_check_sees_real_imports():
    rooms = imports_by_room()
    assert ("show/core.py", "render") in rooms["show"] and ("modulate.py", "control") in rooms["modulate"]
