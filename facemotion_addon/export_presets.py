# SPDX-License-Identifier: GPL-3.0-or-later
"""Engine export options and named presets (plain data: no bpy, so the CLI, the operator and the batch share them).

An :class:`ExportOptions` says how a rigged, animated face is written for an engine; :data:`PRESETS` names the sets
a game team picks from (``default``, ``unity``, ``unreal``, ``web``), and :func:`resolve` turns a preset name plus
single overrides into one checked ``ExportOptions``. :mod:`.export` maps the fields onto Blender's glTF/FBX exporter
options and gltfpack's flags.

Sizes on the demo head (ICT-FaceKit, 26,719 vertices, 51 non-empty ARKit targets, 97 frames; issue 11): flat
shading + morph normals (the old export) 108.8 MB; smooth + no morph normals 13.4 MB (``default``); + gltfpack
meshopt ``-cc`` 1.14 MB (``web``).

Target names: Apple's ARKit names (``eyeBlinkLeft``) are what Unity (glTFast, the FBX importer's blend shapes) and
three.js (``mesh.morphTargetDictionary``, read from ``extras.targetNames``) show; Unreal's Live Link Face / ARKit
curves (``ELiveLinkFaceBlendShape`` in Unreal's LiveLinkFace plugin, the Apple ARKit face support) use PascalCase
(``EyeBlinkLeft``), so the ``unreal`` preset renames the morph targets on the way out.
"""
from dataclasses import dataclass, fields, replace

from ..core.arkit import ARKIT_NAMES
from ..core.errors import InputError

__all__ = ["ANIMATION_MODES", "COMPRESSIONS", "ExportOptions", "NAME_STYLES", "PRESETS", "SAMPLINGS",
           "add_export_arguments", "export_name", "export_options", "resolve"]

#: ``compress`` values: none (Blender's own file, readable by every importer), meshopt (EXT_meshopt_compression +
#: KHR_mesh_quantization through gltfpack; three.js/Babylon/glTFast read it, Blender's importer does not), draco
#: (KHR_draco_mesh_compression of the base mesh by Blender's exporter; morph targets stay uncompressed, so it saves
#: little on a face rig: 13.4 -> 12.6 MB on the demo head).
COMPRESSIONS = ("none", "meshopt", "draco")

#: ``sampling`` values: keyed (the bake's keys where they carry the animation: in glTF all morph targets of a mesh
#: share one sampler, so the union of the 52 curves' key frames, refined where needed to reproduce every frame
#: within 1e-3, :mod:`facemotion.core.animation.common_keys`; a bake with a key per frame stays one per frame) or
#: sampled (one key per frame over the action's range).
SAMPLINGS = ("keyed", "sampled")

#: ``animation_mode`` values (glTF; the glTF exporter's ``export_animation_mode``): active (the active shape-key
#: actions, merged into one animation named ``clip_name``: ACTIVE_ACTIONS), nla_tracks (one animation per NLA
#: track, named after the track: NLA_TRACKS; how ``facemotion batch`` writes its clips) or actions (one animation
#: per action that fits the mesh, named after the action: ACTIONS). FBX always writes the active action as one take.
ANIMATION_MODES = ("active", "nla_tracks", "actions")

#: ``names`` values: arkit (Apple's names: Unity, three.js, Babylon) or unreal (PascalCase: Unreal Live Link).
NAME_STYLES = ("arkit", "unreal")


@dataclass(frozen=True)
class ExportOptions:
    """How a face is written for an engine (every field has the ``default`` preset's value).

    Attributes:
        morph_normals: write per-target normal deltas (glTF ``NORMAL`` in morph targets; FBX blend-shape normals).
            Off: engines keep the base normals (Unity/Unreal recompute them for FBX on import); on, the demo
            head's glTF grows by ~5x.
        sparse_morph: store morph targets as sparse accessors (only the vertices a target moves; glTF only).
        smooth: smooth-shade meshes that have no custom normals and only flat faces (e.g. OBJs without normals)
            for the export, so vertices are not split per face; the user's mesh is restored afterwards.
        smooth_angle: edges sharper than this (degrees) stay sharp when smoothing.
        drop_unused: leave out texture coordinates when no material of the exported objects reads them (glTF).
        compress: one of :data:`COMPRESSIONS` (glTF only; FBX ignores it).
        quantize: quantise positions/normals/UVs and morph deltas (KHR_mesh_quantization, through gltfpack; 14-bit
            positions). :func:`resolve` turns it on with ``compress="meshopt"`` unless ``quantize=False`` is given
            (meshopt of float attributes: larger, but exact).
        sampling: one of :data:`SAMPLINGS`.
        animation_mode: one of :data:`ANIMATION_MODES` (glTF only).
        clip_name: name of the animation (glTF ``animations[].name`` in the ``active`` mode, FBX take/AnimStack
            name).
        names: one of :data:`NAME_STYLES` (morph target / blend shape names).
    """
    morph_normals: bool = False
    sparse_morph: bool = True
    smooth: bool = True
    smooth_angle: float = 30.0
    drop_unused: bool = False
    compress: str = "none"
    quantize: bool = False
    sampling: str = "keyed"
    animation_mode: str = "active"
    clip_name: str = "facemotion"
    names: str = "arkit"

    def __post_init__(self):
        for name, allowed in (("compress", COMPRESSIONS), ("sampling", SAMPLINGS), ("names", NAME_STYLES),
                              ("animation_mode", ANIMATION_MODES)):
            if getattr(self, name) not in allowed:
                raise InputError(f"export option {name}={getattr(self, name)!r} is not one of {', '.join(allowed)}")
        if not 0.0 <= float(self.smooth_angle) <= 180.0:
            raise InputError(f"export option smooth_angle={self.smooth_angle} must be 0..180 degrees")
        if not str(self.clip_name).strip():
            raise InputError("export option clip_name must not be empty")

    @property
    def uses_gltfpack(self):
        """True when gltfpack post-processes the glTF (meshopt compression or quantisation)."""
        return self.compress == "meshopt" or self.quantize


#: The named presets. ``unity`` and ``default`` are the same set (Unity reads Apple's names, uncompressed GLB via
#: glTFast or FBX); ``unreal`` renames the targets to Live Link's PascalCase; ``web`` (three.js) is meshopt-
#: compressed and quantised (three.js GLTFLoader + MeshoptDecoder) and drops unused UVs.
PRESETS = {
    "default": ExportOptions(),
    "unity": ExportOptions(),
    "unreal": ExportOptions(names="unreal"),
    "web": ExportOptions(compress="meshopt", quantize=True, drop_unused=True),
}

_FIELDS = {f.name for f in fields(ExportOptions)}


def resolve(preset=None, **overrides):
    """The :class:`ExportOptions` of ``preset`` (a :data:`PRESETS` name; None = ``"default"``) with ``overrides``
    (field names of :class:`ExportOptions`; a value of None means "the preset's") applied.

    Raises InputError naming an unknown preset or option, or a bad value.
    """
    name = "default" if preset in (None, "") else str(preset).lower()
    if name not in PRESETS:
        raise InputError(f"unknown export preset '{preset}'; choose one of {', '.join(PRESETS)}")
    unknown = sorted(set(overrides) - _FIELDS)
    if unknown:
        raise InputError(f"unknown export option '{unknown[0]}'; known: {', '.join(sorted(_FIELDS))}")
    given = {key: value for key, value in overrides.items() if value is not None}
    if given.get("compress") == "meshopt" and "quantize" not in given:
        given["quantize"] = True  # meshopt is meant with quantised attributes (gltfpack's default)
    return replace(PRESETS[name], **given)


def export_name(arkit_name, style):
    """The name ``arkit_name`` (an ARKit blend shape name) is exported under for name ``style``.

    ``"arkit"``: unchanged. ``"unreal"``: PascalCase, Live Link Face's curve names (``eyeBlinkLeft`` ->
    ``EyeBlinkLeft``, ``tongueOut`` -> ``TongueOut``). Names that are not ARKit's are returned unchanged.
    """
    if style == "unreal" and arkit_name in _ARKIT_SET:
        return arkit_name[:1].upper() + arkit_name[1:]
    return arkit_name


_ARKIT_SET = frozenset(ARKIT_NAMES)


def add_export_arguments(parser):
    """Add the export options to an argparse ``parser`` (``rig``, ``animate``, ``batch``): ``--preset`` and one
    flag per :class:`ExportOptions` field, each defaulting to "the preset's value" (None)."""
    import argparse

    group = parser.add_argument_group("export options (glTF/FBX; default: the preset's)")
    group.add_argument("--preset", choices=tuple(PRESETS), default=None,
                       help="named option set: default, unity (same as default), unreal (PascalCase Live Link "
                            "names), web (three.js: meshopt + quantised, unused UVs dropped)")
    flag = argparse.BooleanOptionalAction
    group.add_argument("--morph-normals", action=flag, default=None, help="write morph-target normals (~2.5x size)")
    group.add_argument("--sparse-morph", action=flag, default=None, help="sparse morph-target accessors (glTF)")
    group.add_argument("--smooth", action=flag, default=None,
                       help="smooth-shade flat meshes without custom normals for the export (the input is unchanged)")
    group.add_argument("--smooth-angle", type=float, default=None, metavar="DEG",
                       help="edges sharper than this stay sharp when smoothing (default 30)")
    group.add_argument("--drop-unused", action=flag, default=None,
                       help="leave out UVs no material reads (glTF)")
    group.add_argument("--compress", choices=COMPRESSIONS, default=None,
                       help="glTF compression: meshopt (gltfpack; not readable by Blender's importer) or draco")
    group.add_argument("--quantize", action=flag, default=None, help="quantised attributes (gltfpack)")
    group.add_argument("--sampling", choices=SAMPLINGS, default=None,
                       help="keyed: the bake's keys (glTF: common key times of all targets, within 1e-3 of every "
                            "frame); sampled: a key per frame")
    group.add_argument("--animation-mode", choices=ANIMATION_MODES, default=None,
                       help="glTF animations: active (the active actions as one clip), nla_tracks (one per NLA "
                            "track) or actions (one per action)")
    group.add_argument("--clip-name", default=None, metavar="NAME", help="animation / take name (default facemotion)")
    group.add_argument("--names", choices=NAME_STYLES, default=None,
                       help="target names: arkit (Apple's: Unity, three.js) or unreal (PascalCase: Live Link)")


def export_options(args):
    """The keyword arguments for :func:`.pipeline.export` from parsed :func:`add_export_arguments` flags
    (``preset`` plus the options given; checked by :func:`resolve`, which raises InputError)."""
    options = {name: getattr(args, name, None) for name in sorted(_FIELDS)}
    options = {name: value for name, value in options.items() if value is not None}
    resolve(getattr(args, "preset", None), **options)  # refuse bad values before any work
    return {"preset": getattr(args, "preset", None), **options}
