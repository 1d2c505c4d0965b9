# SPDX-License-Identifier: GPL-3.0-or-later
"""The export options as CLI flags, made from the table in :mod:`facemotion.core.io.export_options`: ``--preset``
and one flag per :class:`~facemotion.core.io.export_options.ExportOptions` field (``--morph-normals``,
``--compress``...), each defaulting to "the preset's value"; and ``--out``/``--overwrite`` with them for the
commands that write a face."""

import argparse
from pathlib import Path

from ...core.io import export_options as table

__all__ = ["add_export_arguments", "add_output_arguments", "export_keywords", "smooth_option"]


def _help(text):
    return text.replace("%", "%%")  # argparse formats help strings with %


def _choices_help(description, choices):
    return _help(f"{description}: " + "; ".join(f"{choice.value}: {choice.description}" for choice in choices))


def add_export_arguments(parser):
    """Add ``--preset`` and one flag per export option to the argparse ``parser`` (``rig``, ``animate``); every
    default is None ("the preset's")."""
    group = parser.add_argument_group("export options (glTF/FBX; default: the preset's)")
    group.add_argument(
        "--preset",
        choices=tuple(table.PRESETS),
        default=None,
        help=_help(
            "named option set: " + "; ".join(f"{name}: {preset.description}" for name, preset in table.PRESETS.items())
        ),
    )
    for spec in table.option_fields():
        meta, flag = spec.metadata, "--" + spec.name.replace("_", "-")
        note = " (glTF only)" if meta["gltf_only"] else ""
        if isinstance(spec.default, bool):
            group.add_argument(
                flag, action=argparse.BooleanOptionalAction, default=None, help=_help(meta["description"] + note)
            )
        elif meta["choices"]:
            group.add_argument(
                flag,
                choices=[choice.value for choice in meta["choices"]],
                default=None,
                help=_choices_help(meta["description"] + note, meta["choices"]),
            )
        else:
            default = f"{spec.default:g}" if isinstance(spec.default, float) else spec.default
            group.add_argument(
                flag,
                type=type(spec.default),
                default=None,
                metavar=meta["metavar"],
                help=_help(f"{meta['description']}{note} (default {default})"),
            )


def add_output_arguments(parser, *, required):
    """``--out``, ``--overwrite`` and the export options of a command that writes a face (rig, animate, speak)."""
    parser.add_argument("--out", required=required, default=None, help="output file: .glb, .gltf, .fbx or .blend")
    parser.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    add_export_arguments(parser)


def export_keywords(args, out=None):
    """The keyword arguments for :func:`facemotion.facemotion_addon.pipeline.export` from parsed
    :func:`add_export_arguments` flags: ``preset`` plus the options given.

    Raises InputError (before any work) for a bad value (:func:`~facemotion.core.io.export_options.resolve`) or,
    with ``out`` (the output path), for an option that format would ignore (``--compress`` with an ``.fbx``)."""
    options = {spec.name: getattr(args, spec.name, None) for spec in table.option_fields()}
    options = {name: value for name, value in options.items() if value is not None}
    table.resolve(getattr(args, "preset", None), **options)
    if out is not None and Path(out).suffix.lower() != ".blend":
        table.check_format(Path(out).suffix.lower().lstrip("."), options)
    return {"preset": getattr(args, "preset", None), **options}


def smooth_option(keywords):
    """Whether flat meshes are smooth-shaded, from :func:`export_keywords`' result (``--smooth/--no-smooth``, else
    the preset's): the rig follows it as well as the export, so ``--no-smooth`` leaves a flat mesh flat."""
    options = {name: value for name, value in keywords.items() if name != "preset"}
    return table.resolve(keywords.get("preset"), **options).smooth
