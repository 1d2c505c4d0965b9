"""The package's layers, checked on the source: imports only point downward, and one module turns Blender data into
arrays.

    root __init__ (registration) -> panels -> operators -> facemotion_addon (bpy glue) -> core (numpy, no bpy)

Inside facemotion_addon: cli/ (the command line) -> settings/ and the scene glue (the modules at its top level);
the glue and the settings never import cli/, and no product module takes part in an import cycle.

Inside ``core`` the sub-packages have an order too (:data:`CORE_ORDER`, bottom to top): ``io`` (files, assets) <
``detect`` (landmarks, rasterizer) < ``rig`` (fitting, transfer) < ``emotion`` (presets, vocabulary, recognition)
< ``animation`` (timelines, keys, clips) < ``capture`` (performance capture onto a rig) and ``speech`` (lip sync and
a talking face from a voice, built on timelines): nothing below them uses them; the top-level modules (``arkit``,
``errors``, ``geometry``, ``interrupts``) are below them all. A module imports only from its own sub-package or those
below it.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["core", "facemotion_addon", "operators", "panels"]  # bottom to top
BLENDER_MODULES = {"bpy", "bmesh", "mathutils", "bpy_extras", "addon_utils"}
CORE_BASE = ["arkit", "errors", "geometry", "interrupts"]  # core's top-level modules, below every sub-package
CORE_ORDER = ["io", "detect", "rig", "emotion", "animation", "capture", "speech"]  # bottom to top


def _modules(layer):
    return sorted(p for p in (ROOT / layer).rglob("*.py") if "__pycache__" not in p.parts)


def _package_of(path):
    return ".".join(
        path.relative_to(ROOT).with_suffix("").parts[:-1]
        if path.name != "__init__.py"
        else path.relative_to(ROOT).parts[:-1]
    )


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
            base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
            target = base + (node.module.split(".") if node.module else [])
            if target:
                found.add(target[0])
            else:  # "from .. import x" at the root: x are the layers
                found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("layer", LAYERS)
def test_imports_only_point_downward(layer):
    above = set(LAYERS[LAYERS.index(layer) + 1 :])
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
            calls = {
                node.func.attr
                for node in ast.walk(tree)
                if isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("foreach_get", "foreach_set")
            }
            assert not calls, f"{path.relative_to(ROOT)} calls {sorted(calls)}: use facemotion_addon.bridge"


# The module graph: which product module imports which (anywhere in it, so a lazy import inside a function counts:
# it still ties the two modules together). Nodes are dotted names relative to the repository root
# ("facemotion_addon.cli.batch"); a package is its __init__ ("facemotion_addon.cli").
CLI_PACKAGE = "facemotion_addon.cli"


def _module_name(path, root):
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(root, dotted):
    """The module ``dotted`` (a list of names) names under ``root``, or None when it is not one of ours."""
    if dotted and (
        root.joinpath(*dotted).with_suffix(".py").is_file() or (root.joinpath(*dotted) / "__init__.py").is_file()
    ):
        return ".".join(dotted)
    return None


def _import_targets(path, root=ROOT):
    """The product modules ``path`` imports: ``from X import a`` names module X.a when that is a module, else X."""
    tree = ast.parse(path.read_text(), filename=str(path))
    name = _module_name(path, root)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    targets = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            bases = [alias.name.split(".") for alias in node.names]
            targets.update(filter(None, (_resolve(root, base) for base in bases)))
            continue
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level == 0:
            base = node.module.split(".")
            base = base[1:] if base[0] == "facemotion" else base  # the root package: "facemotion.core.x"
        else:
            base = package[: len(package) - (node.level - 1)] + (node.module.split(".") if node.module else [])
        for alias in node.names:
            target = _resolve(root, base + [alias.name]) or _resolve(root, base)
            if target is not None and target != name:
                targets.add(target)
    return targets


def _module_graph(root=ROOT):
    """``{module: set of modules it imports}`` over the product layers (core, facemotion_addon, operators, panels)."""
    paths = [
        p
        for layer in LAYERS
        if (root / layer).is_dir()
        for p in sorted((root / layer).rglob("*.py"))
        if "__pycache__" not in p.parts
    ]
    graph = {_module_name(p, root): set() for p in paths}
    for path in paths:
        graph[_module_name(path, root)] = {t for t in _import_targets(path, root) if t in graph}
    return graph


def _layers_of(graph):
    """Kahn's topological layering: layer 0 imports nothing of ours, layer k only layers below k. Returns
    ``(layers, stuck)``: ``stuck`` is the set of modules on or above an import cycle (empty when acyclic)."""
    placed, layers = set(), []
    while True:
        layer = sorted(m for m, deps in graph.items() if m not in placed and deps <= placed)
        if not layer:
            return layers, set(graph) - placed
        layers.append(layer)
        placed.update(layer)


def _format_layers(graph):
    layers, stuck = _layers_of(graph)
    lines = [f"layer {i}: {' '.join(layer)}" for i, layer in enumerate(layers)]
    lines += [f"in or above a cycle: {m} -> {' '.join(sorted(graph[m] & stuck))}" for m in sorted(stuck)]
    return "\n".join(lines)


def test_no_import_cycles_among_the_product_modules():
    graph = _module_graph()
    assert not _layers_of(graph)[1], "import cycle among the product modules:\n" + _format_layers(graph)


def _cli_imports(graph):
    """(module, CLI module) pairs where a module of facemotion_addon outside the CLI imports the CLI."""
    return sorted(
        (m, t)
        for m, deps in graph.items()
        for t in deps
        if m.startswith("facemotion_addon") and not _in_cli(m) and _in_cli(t)
    )


def _in_cli(module):
    return module == CLI_PACKAGE or module.startswith(CLI_PACKAGE + ".")


def test_scene_glue_and_settings_never_import_the_cli():
    """The glue (facemotion_addon/*.py) and the settings (facemotion_addon/settings/) are below the command line:
    the CLI may import them, never the other way round."""
    assert (ROOT / "facemotion_addon" / "cli").is_dir() and (ROOT / "facemotion_addon" / "settings").is_dir()
    assert not _cli_imports(_module_graph())


def _probe_tree(tmp_path, files):
    for rel, text in {
        "facemotion_addon/__init__.py": "",
        "facemotion_addon/cli/__init__.py": "",
        "facemotion_addon/settings/__init__.py": "",
        "core/__init__.py": "",
        **files,
    }.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return _module_graph(tmp_path)


def test_module_graph_sees_a_lazy_cycle_and_an_import_of_the_cli(tmp_path):
    """The two checks above can fail: a cycle through a function-level import (how batch and cli once imported each
    other) is found, and so is a setting that reaches up into the CLI."""
    graph = _probe_tree(
        tmp_path,
        {
            "facemotion_addon/cli/entry.py": "from . import batch\n",
            "facemotion_addon/cli/batch.py": "def clips():\n    from .entry import read\n",
            "facemotion_addon/settings/prefs.py": "from ..cli import entry\nfrom ...core import errors\n",
            "core/errors.py": "",
        },
    )
    assert graph["facemotion_addon.cli.batch"] == {"facemotion_addon.cli.entry"}
    assert graph["facemotion_addon.settings.prefs"] == {"facemotion_addon.cli.entry", "core.errors"}
    assert _layers_of(graph)[1] == {
        "facemotion_addon.cli.entry",
        "facemotion_addon.cli.batch",
        "facemotion_addon.settings.prefs",
    }
    assert _cli_imports(graph) == [("facemotion_addon.settings.prefs", "facemotion_addon.cli.entry")]


def _core_rank(module):
    """A module's place in core's order: -1 for ``core`` and its top-level modules (:data:`CORE_BASE`), the index in
    :data:`CORE_ORDER` for a sub-package's module; None outside core or for a part of core that has no place."""
    parts = module.split(".")
    if parts[0] != "core":
        return None
    if len(parts) == 1 or parts[1] in CORE_BASE:
        return -1
    return CORE_ORDER.index(parts[1]) if parts[1] in CORE_ORDER else None


def _upward_core_imports(graph):
    """(module, imported module) pairs inside core where the import points above the importer's place."""
    return sorted(
        (m, t)
        for m, deps in graph.items()
        if _core_rank(m) is not None
        for t in deps
        if _core_rank(t) is not None and _core_rank(t) > _core_rank(m)
    )


def test_core_sub_packages_have_an_order():
    """Every module of core has a place in CORE_ORDER (or CORE_BASE), and none imports from above it."""
    graph = _module_graph()
    assert not [m for m in graph if m.startswith("core") and _core_rank(m) is None], "give it a place in CORE_ORDER"
    assert not _upward_core_imports(graph)


def test_core_order_check_sees_an_upward_import(tmp_path):
    """The check above can fail: recognition importing the timeline (as it once did, lazily here) is an upward arrow;
    emotion importing rig is not."""
    graph = _probe_tree(
        tmp_path,
        {
            "core/emotion/__init__.py": "",
            "core/animation/__init__.py": "",
            "core/rig/__init__.py": "",
            "core/emotion/recognition.py": "def f():\n    from ..animation.timeline import EmotionKey\n"
            "    from ..rig import parts\n",
            "core/animation/timeline.py": "",
            "core/rig/parts.py": "",
        },
    )
    assert _upward_core_imports(graph) == [("core.emotion.recognition", "core.animation.timeline")]
