# SPDX-License-Identifier: GPL-3.0-or-later
"""The export options are one table (core/io/export_options.py): a preset and options added to it appear in the CLI
flags, the Blender properties registered in real bpy (the Export panel's settings and the export operator), their
menus, and ``facemotion batch --preset``; and an option an FBX would ignore is refused on the command line.

The table is extended in a fresh Python process before anything reads it, as a contributor would extend it in the
source; nothing about bpy or argparse is mocked.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from facemotion.core.errors import InputError
from facemotion.core.io import export_options

ROOT = Path(__file__).resolve().parent.parent

#: Run in a fresh interpreter: extend the table, then build the CLI parsers and register the add-on in real bpy.
EXTENDED_TABLE = r"""
import json, sys
from dataclasses import make_dataclass
sys.path.insert(0, sys.argv[1] + "/tools")
from package_path import import_facemotion
import_facemotion()
from facemotion.core.io import export_options as table

added = [("tangents", bool, table.option(False, "Tangents", "Write tangents", gltf_only=True)),
         ("texture_format", str, table.option("png", "Texture Format", "Image format of the textures",
                                              choices=(table.Choice("png", "PNG", "Lossless"),
                                                       table.Choice("webp", "WebP", "Smaller"))))]
table.ExportOptions = make_dataclass("ExportOptions", added, bases=(table.ExportOptions,), frozen=True)
table.PRESETS["godot"] = table.Preset("Godot", "Godot's importer", {"tangents": True, "texture_format": "webp"})

import bpy
import facemotion
from facemotion.facemotion_addon.cli import entry
from facemotion.facemotion_addon.cli.export_arguments import export_keywords

parser = entry.build_parser()
args = parser.parse_args(["rig", "head.obj", "--out", "head.glb", "--preset", "godot", "--no-tangents",
                          "--texture-format", "png"])
batch = parser.parse_args(["batch", "heads", "--out", "out", "--preset", "godot"])
facemotion.register()
scene = bpy.context.scene.facemotion_export
scene.preset = "godot"  # the preset menu's update callback writes the preset's values into the fields
operator = bpy.ops.facemotion.export.get_rna_type().properties
result = {
    "cli": export_keywords(args, "head.glb"),
    "batch_preset": batch.preset,
    "resolved": [table.resolve("godot").tangents, table.resolve("godot").texture_format],
    "scene_after_preset": [scene.tangents, scene.texture_format],
    "preset_menu": [[item.identifier, item.name] for item in scene.bl_rna.properties["preset"].enum_items],
    "texture_menu": [[item.identifier, item.name, item.description]
                     for item in scene.bl_rna.properties["texture_format"].enum_items],
    "operator": [name for name in ("tangents", "texture_format", "preset") if name in operator],
    "operator_presets": [item.identifier for item in operator["preset"].enum_items],
}
facemotion.unregister()
print("RESULT " + json.dumps(result))
from facemotion.facemotion_addon import compat
compat.exit_process(0)  # Blender 4.2's interpreter shutdown crashes after a register (compat.UNCLEAN_MODULE_EXIT)
"""


def test_a_preset_and_options_added_to_the_table_appear_everywhere(tmp_path):
    script = tmp_path / "extended_table.py"
    script.write_text(EXTENDED_TABLE)
    run = subprocess.run(
        [sys.executable, str(script), str(ROOT)], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    lines = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
    assert run.returncode == 0 and lines, run.stdout[-2000:] + run.stderr[-2000:]
    result = json.loads(lines[0][len("RESULT ") :])
    # argparse: --preset godot, --[no-]tangents and --texture-format made from the table
    assert result["cli"] == {"preset": "godot", "tangents": False, "texture_format": "png"}
    assert result["batch_preset"] == "godot"
    assert result["resolved"] == [True, "webp"]
    # Blender: the property group and the operator have the new properties; the preset writes its values
    assert result["scene_after_preset"] == [True, "webp"]
    assert ["godot", "Godot"] in result["preset_menu"]
    assert result["texture_menu"] == [["png", "PNG", "Lossless"], ["webp", "WebP", "Smaller"]]
    assert result["operator"] == ["tangents", "texture_format", "preset"]
    assert "godot" in result["operator_presets"]


def test_the_shipped_menus_are_the_tables():
    """The registered add-on's menus list exactly the table's presets and choices (in this process's bpy)."""
    import bpy

    import facemotion

    bpy.ops.wm.read_factory_settings(use_empty=True)
    facemotion.register()
    try:
        props = bpy.context.scene.facemotion_export.bl_rna.properties
        assert [item.identifier for item in props["preset"].enum_items] == list(export_options.PRESETS)
        for name, choices in (
            ("compress", export_options.COMPRESSIONS),
            ("sampling", export_options.SAMPLINGS),
            ("names", export_options.NAME_STYLES),
            ("animation_mode", export_options.ANIMATION_MODES),
        ):
            assert [(i.identifier, i.name, i.description) for i in props[name].enum_items] == [
                (c.value, c.label, c.description) for c in choices
            ]
    finally:
        facemotion.unregister()
        bpy.ops.wm.read_factory_settings(use_empty=True)


def test_gltf_only_options_are_refused_for_fbx():
    export_options.check_format("glb", {"compress": "meshopt"})
    export_options.check_format("fbx", {"names": "unreal", "clip_name": "take"})  # these apply to FBX
    with pytest.raises(InputError, match="compress only applies to glTF"):
        export_options.check_format("fbx", {"compress": "meshopt"})


def test_rig_compress_with_an_fbx_output_is_one_line_exit_2(tmp_path):
    """Issue 18: ``rig --compress meshopt --out o.fbx`` ignored the option silently; now it is refused before any
    work (no output written)."""
    out = tmp_path / "o.fbx"
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "cli_entry.py"),
            "rig",
            str(tmp_path / "head.obj"),
            "--compress",
            "meshopt",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "facemotion: error: export option compress only applies to glTF (.glb/.gltf), not .fbx; leave it out or "
        "write a .glb"
    ]
    assert not out.exists()
