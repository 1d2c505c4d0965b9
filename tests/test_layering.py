"""The package's layers, checked on the source: imports only point downward, and one module turns Blender data into
arrays.

    root __init__ (registration) -> panels -> operators -> facemotion_addon (bpy glue) -> core (numpy, no bpy)

Inside ``core`` the sub-packages have an order too (:data:`CORE_ORDER`, bottom to top): ``io`` (files, assets) <
``detect`` (landmarks, rasterizer) < ``rig`` (fitting, transfer) < ``emotion`` (presets, vocabulary, recognition)
< ``animation`` (timelines, keys, clips); the top-level modules (``arkit``, ``errors``, ``geometry``, ``interrupts``)
are below them all. A module imports only from its own sub-package or those below it.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["core", "facemotion_addon", "operators", "panels"]  # bottom to top
BLENDER_MODULES = {"bpy", "bmesh", "mathutils", "bpy_extras", "addon_utils"}
CORE_BASE = ["arkit", "errors", "geometry", "interrupts"]  # core's top-level modules, below every sub-package
CORE_ORDER = ["io", "detect", "rig", "emotion", "animation"]  # bottom to top


def _modules(layer):
    return sorted(p for p in (ROOT / layer).rglob("*.py") if "__pycache__" not in p.parts)


def _package_of(path):
    return ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1] if path.name != "__init__.py"
                    else path.relative_to(ROOT).parts[:-1])


def _imported_paths(path):
    """Dotted paths (ours: from the repository root, e.g. ``core.emotion.presets``; others: as written) that ``path``
    imports, anywhere in it. ``from .x import y`` yields ``pkg.x.y`` (y may be a module or a name in x)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = _package_of(path).split(".") if _package_of(path) else []
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                found.add(node.module)
                continue
            base = package[:len(package) - (node.level - 1)] if node.level > 1 else package
            target = base + (node.module.split(".") if node.module else [])
            found.update(".".join(target + [alias.name]) for alias in node.names)
    return found


def _imports(path):
    """Top-level package names (ours: the layer; others: the distribution) that ``path`` imports, anywhere in it."""
    return {dotted.split(".")[0] for dotted in _imported_paths(path)}


def _core_rank(dotted):
    """The rank of a ``core.…`` path in core's order: -1 for core's top-level modules (and ``core`` itself), the
    index in :data:`CORE_ORDER` for a sub-package; None for a path outside core or a part of core not ranked."""
    parts = dotted.split(".")
    if parts[0] != "core":
        return None
    if len(parts) == 1 or parts[1] in CORE_BASE + ["__init__"]:
        return -1
    return CORE_ORDER.index(parts[1]) if parts[1] in CORE_ORDER else None


def _upward_core_imports(path):
    """The ``core.…`` paths that ``path`` (a module of core) imports from above its own place in the order."""
    own = _core_rank(".".join(path.relative_to(ROOT).with_suffix("").parts))
    return sorted(d for d in _imported_paths(path) if _core_rank(d) is not None and _core_rank(d) > own)


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


def test_core_sub_packages_have_an_order():
    """Every module of core has a place in the order, and none imports from above it (see CORE_ORDER)."""
    for path in _modules("core"):
        rank = _core_rank(".".join(path.relative_to(ROOT).with_suffix("").parts))
        assert rank is not None, f"{path.relative_to(ROOT)}: give its sub-package a place in CORE_ORDER"
        upward = _upward_core_imports(path)
        assert not upward, f"{path.relative_to(ROOT)} imports {upward}, above its place in core's order"


def test_core_order_check_sees_an_upward_import():
    """The check above can fail: an emotion module importing the timeline is an upward arrow, a lazy import too."""
    fake = ROOT / "core" / "emotion" / "_layering_probe.py"
    try:
        fake.write_text("def f():\n    from ..animation.timeline import EmotionKey\n    from ..rig import parts\n")
        assert _upward_core_imports(fake) == ["core.animation.timeline.EmotionKey"]
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
