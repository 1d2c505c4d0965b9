"""The package's layers, checked on the source: imports only point downward, and one module turns Blender data into
arrays.

    root __init__ (registration) -> panels -> operators -> facemotion_addon (bpy glue) -> core (numpy, no bpy)
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["core", "facemotion_addon", "operators", "panels"]  # bottom to top
BLENDER_MODULES = {"bpy", "bmesh", "mathutils", "bpy_extras", "addon_utils"}


def _modules(layer):
    return sorted(p for p in (ROOT / layer).rglob("*.py") if "__pycache__" not in p.parts)


def _package_of(path):
    return ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1] if path.name != "__init__.py"
                    else path.relative_to(ROOT).parts[:-1])


def _imports(path):
    """Top-level package names (ours: the layer; others: the distribution) that ``path`` imports, anywhere in it."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = _package_of(path).split(".") if _package_of(path) else []
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                found.add(node.module.split(".")[0])
                continue
            base = package[:len(package) - (node.level - 1)] if node.level > 1 else package
            target = base + (node.module.split(".") if node.module else [])
            if target:
                found.add(target[0])
            else:  # "from .. import x" at the root: x are the layers
                found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("layer", LAYERS)
def test_imports_only_point_downward(layer):
    above = set(LAYERS[LAYERS.index(layer) + 1:])
    for path in _modules(layer):
        imported = _imports(path)
        assert not imported & above, f"{path.relative_to(ROOT)} imports {sorted(imported & above)} (a layer above)"
        if layer == "core":
            assert not imported & BLENDER_MODULES, f"{path.relative_to(ROOT)} imports Blender modules"


def test_import_analysis_sees_an_upward_import(tmp_path):
    """The check above can fail: a relative import two levels up is resolved to its layer."""
    fake = ROOT / "facemotion_addon" / "_layering_probe.py"
    try:
        fake.write_text("from ..operators import base\n")
        assert "operators" in _imports(fake)
    finally:
        fake.unlink()


def test_only_the_bridge_moves_blender_data_into_arrays():
    allowed = {ROOT / "facemotion_addon" / "bridge.py"}
    for layer in LAYERS:
        for path in _modules(layer):
            if path in allowed:
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            calls = {node.func.attr for node in ast.walk(tree) if isinstance(node, ast.Call)
                     and isinstance(node.func, ast.Attribute) and node.func.attr in ("foreach_get", "foreach_set")}
            assert not calls, f"{path.relative_to(ROOT)} calls {sorted(calls)}: use facemotion_addon.bridge"
