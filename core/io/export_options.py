# SPDX-License-Identifier: GPL-3.0-or-later
"""The engine export options and named presets: the one table the CLI flags, the Blender properties, their menus
and the batch's ``--preset`` are made from (plain data, no bpy).

An :class:`ExportOptions` says how a rigged, animated face is written for an engine. Each of its fields carries, in
its metadata (:func:`option`), the label, description, menu choices, range and formats that the generators read:
``facemotion_addon.cli.export_arguments`` makes one argparse flag per field, ``facemotion_addon.settings.
export_settings`` one Blender property per field (an EnumProperty's items from the choices) and draws them in field
order. :data:`PRESETS` names the sets a game team picks from (``default``, ``unity``, ``unreal``, ``web``), and
:func:`resolve` turns a preset name plus single overrides into one checked ``ExportOptions``. Adding a field or a
preset here adds it to the CLI, the Export panel, the export operator and ``facemotion batch --preset`` (checked by
``tests/test_export_table.py``). ``facemotion_addon.export`` maps the fields onto Blender's glTF/FBX exporter
options and gltfpack's flags.

Sizes on the demo head (ICT-FaceKit, 26,719 vertices, 51 non-empty ARKit targets, 97 frames; issue 11): flat
shading + morph normals 108.8 MB; smooth + no morph normals 13.4 MB (``default``); + gltfpack meshopt ``-cc``
1.14 MB (``web``).

Target names: Apple's ARKit names (``eyeBlinkLeft``) are what Unity (glTFast, the FBX importer's blend shapes) and
three.js (``mesh.morphTargetDictionary``, read from ``extras.targetNames``) show; Unreal's Live Link Face / ARKit
curves (``ELiveLinkFaceBlendShape`` in Unreal's LiveLinkFace plugin, the Apple ARKit face support) use PascalCase
(``EyeBlinkLeft``), so the ``unreal`` preset renames the morph targets on the way out.
"""

from dataclasses import dataclass, field, fields

from ..arkit import ARKIT_NAMES
from ..errors import InputError

__all__ = [
    "ANIMATION_MODES",
    "COMPRESSIONS",
    "Choice",
    "ExportOptions",
    "GLTF_FORMATS",
    "NAME_STYLES",
    "PRESETS",
    "Preset",
    "SAMPLINGS",
    "check_format",
    "export_name",
    "option",
    "option_fields",
    "resolve",
]

#: The formats (file suffixes without the dot) that options marked ``gltf_only`` apply to.
GLTF_FORMATS = ("glb", "gltf")


@dataclass(frozen=True)
class Choice:
    """One value of a menu option: ``value`` (CLI, JSON, the property's identifier), ``label`` (Blender's menu),
    ``description`` (tooltip and ``--help``)."""

    value: str
    label: str
    description: str


#: ``compress`` values. meshopt: EXT_meshopt_compression + KHR_mesh_quantization through gltfpack. draco: morph
#: targets stay uncompressed, so it saves little on a face rig (13.4 -> 12.6 MB on the demo head).
COMPRESSIONS = (
    Choice("none", "None", "Blender's own file; every importer reads it"),
    Choice(
        "meshopt",
        "Meshopt",
        "EXT_meshopt_compression through gltfpack (needs Node.js + gltfpack); three.js, "
        "Babylon and glTFast read it, Blender's importer does not",
    ),
    Choice("draco", "Draco", "KHR_draco_mesh_compression of the base mesh (morph targets stay uncompressed)"),
)

#: ``sampling`` values. keyed: in glTF all morph targets of a mesh share one sampler, so the union of the 52 curves'
#: key frames, refined where needed to reproduce every frame within 1e-3 (:mod:`..animation.common_keys`); a bake
#: with a key per frame stays one per frame.
SAMPLINGS = (
    Choice(
        "keyed",
        "Keyed",
        "The bake's keys: in glTF every morph target of a mesh shares one set of key times, so "
        "the keys of all targets together, refined until every frame is within 0.001",
    ),
    Choice("sampled", "Sampled", "One key per frame over the action's range"),
)

#: ``animation_mode`` values (the glTF exporter's ``export_animation_mode``: ACTIVE_ACTIONS, NLA_TRACKS, ACTIONS;
#: ``facemotion batch`` writes its clips as NLA tracks). FBX always writes the active action as one take.
ANIMATION_MODES = (
    Choice("active", "Active Actions", "The active shape-key actions as one animation named after the clip name"),
    Choice("nla_tracks", "NLA Tracks", "One animation per NLA track, named after the track (glTF)"),
    Choice("actions", "Actions", "One animation per action that fits the mesh, named after the action (glTF)"),
)

#: ``names`` values (morph target / blend shape names).
NAME_STYLES = (
    Choice("arkit", "ARKit", "Apple's names (eyeBlinkLeft): Unity, three.js, Babylon"),
    Choice("unreal", "Unreal", "PascalCase (EyeBlinkLeft): Unreal Live Link / ARKit curves"),
)


def option(
    default,
    label,
    description,
    *,
    choices=(),
    minimum=None,
    maximum=None,
    metavar=None,
    gltf_only=False,
    depends_on=None,
):
    """A field of :class:`ExportOptions` with what the generators need in its metadata.

    Args:
        default: the ``default`` preset's value (bool, float or str; its type is the option's type).
        label: the Blender property's name (Title Case).
        description: one sentence for the tooltip and ``--help``.
        choices: :class:`Choice` s of a menu option (a str option); empty for free values.
        minimum, maximum: range of a float option (checked by :class:`ExportOptions`).
        metavar: the CLI's placeholder for a float/str value.
        gltf_only: the option only changes glTF/GLB files (greyed out for FBX; refused with an FBX output).
        depends_on: name of a bool option without which this one does nothing (greyed out while it is off).
    """
    return field(
        default=default,
        metadata={
            "label": label,
            "description": description,
            "choices": tuple(choices),
            "minimum": minimum,
            "maximum": maximum,
            "metavar": metavar,
            "gltf_only": gltf_only,
            "depends_on": depends_on,
        },
    )


@dataclass(frozen=True)
class ExportOptions:
    """How a face is written for an engine (every field has the ``default`` preset's value; the fields' order is the
    order the UI draws them in).

    Attributes:
        names: one of :data:`NAME_STYLES`.
        clip_name: name of the animation (glTF ``animations[].name`` in the ``active`` mode, FBX take/AnimStack).
        sampling: one of :data:`SAMPLINGS`.
        smooth: smooth-shade flat meshes: only flat faces and no custom normals (e.g. OBJs without normals), or
            custom normals that all equal their face's normal (a flat mesh through Blender's FBX export), for the
            export, so vertices are not split per face; the user's mesh is restored afterwards. The CLI's rig
            follows it too (``--no-smooth`` leaves a flat mesh flat).
        smooth_angle: edges sharper than this (degrees, 0..180) stay sharp when smoothing.
        morph_normals: write per-target normal deltas (glTF ``NORMAL`` in morph targets). Off: engines keep the base
            normals; on, the demo head's glTF grows by ~5x.
        sparse_morph: store morph targets as sparse accessors (only the vertices a target moves).
        drop_unused: leave out texture coordinates when no material of the exported objects reads them.
        compress: one of :data:`COMPRESSIONS`.
        quantize: quantise positions/normals/UVs and morph deltas (KHR_mesh_quantization, through gltfpack; 14-bit
            positions). :func:`resolve` turns it on with ``compress="meshopt"`` unless ``quantize=False`` is given
            (meshopt of float attributes: larger, but exact).
        animation_mode: one of :data:`ANIMATION_MODES`.

    Raises InputError (on construction) for a value outside its choices or range, or an empty string.
    """

    names: str = option("arkit", "Target Names", "Names of the morph targets / blend shapes", choices=NAME_STYLES)
    clip_name: str = option("facemotion", "Clip Name", "Name of the animation (glTF) / take (FBX)", metavar="NAME")
    sampling: str = option("keyed", "Animation", "Keys of the animation", choices=SAMPLINGS)
    smooth: bool = option(
        True,
        "Smooth Flat Meshes",
        "Smooth-shade flat meshes (every face flat and no custom normals, or custom normals all flat), "
        "for the export only (the input is unchanged)",
    )
    smooth_angle: float = option(
        30.0,
        "Smooth Angle",
        "Edges sharper than this (degrees) stay sharp when smoothing",
        minimum=0.0,
        maximum=180.0,
        metavar="DEG",
        depends_on="smooth",
    )
    morph_normals: bool = option(
        False, "Morph Normals", "Write normal deltas per morph target (about 2.5x the file size)", gltf_only=True
    )
    sparse_morph: bool = option(
        True, "Sparse Targets", "Store only the vertices each morph target moves", gltf_only=True
    )
    drop_unused: bool = option(
        False, "Drop Unused UVs", "Leave out texture coordinates that no material reads", gltf_only=True
    )
    compress: str = option("none", "Compression", "glTF mesh compression", choices=COMPRESSIONS, gltf_only=True)
    quantize: bool = option(
        False, "Quantize", "Quantised positions, normals, UVs and morph deltas (gltfpack)", gltf_only=True
    )
    animation_mode: str = option(
        "active",
        "Clips",
        "Which actions become glTF animations (FBX: the active action)",
        choices=ANIMATION_MODES,
        gltf_only=True,
    )

    def __post_init__(self):
        for spec in fields(self):
            value, meta = getattr(self, spec.name), spec.metadata
            allowed = [choice.value for choice in meta.get("choices", ())]
            if allowed and value not in allowed:
                raise InputError(f"export option {spec.name}={value!r} is not one of {', '.join(allowed)}")
            if meta.get("minimum") is not None and not meta["minimum"] <= float(value) <= meta["maximum"]:
                raise InputError(f"export option {spec.name}={value} must be {meta['minimum']:g}..{meta['maximum']:g}")
            if isinstance(spec.default, str) and not allowed and not str(value).strip():
                raise InputError(f"export option {spec.name} must not be empty")

    @property
    def uses_gltfpack(self):
        """True when gltfpack post-processes the glTF (meshopt compression or quantisation)."""
        return self.compress == "meshopt" or self.quantize


def option_fields():
    """The :class:`ExportOptions` fields (``dataclasses.Field``, in drawing order) with their :func:`option`
    metadata; read at each call, so every generator sees the same table."""
    return fields(ExportOptions)


@dataclass(frozen=True)
class Preset:
    """A named set of options: ``label`` (Blender's menu), ``description`` (tooltip and ``--help``), ``values``
    (the :class:`ExportOptions` fields it changes from their defaults)."""

    label: str
    description: str
    values: dict = field(default_factory=dict)


#: The named presets. ``unity`` and ``default`` are the same set (Unity reads Apple's names, uncompressed GLB via
#: glTFast or FBX); ``unreal`` renames the targets to Live Link's PascalCase; ``web`` (three.js) is meshopt-
#: compressed and quantised (three.js GLTFLoader + MeshoptDecoder) and drops unused UVs.
PRESETS = {
    "default": Preset("Default", "smooth shading, no morph normals, sparse targets, ARKit names, uncompressed"),
    "unity": Preset("Unity", "as default: Apple's ARKit names, uncompressed GLB (glTFast) or FBX"),
    "unreal": Preset("Unreal", "Live Link's PascalCase names (EyeBlinkLeft); FBX or GLB", {"names": "unreal"}),
    "web": Preset(
        "Web (three.js)",
        "meshopt compression + quantisation (gltfpack), unused UVs dropped",
        {"compress": "meshopt", "quantize": True, "drop_unused": True},
    ),
}


def resolve(preset=None, **overrides):
    """The :class:`ExportOptions` of ``preset`` (a :data:`PRESETS` name; None = ``"default"``) with ``overrides``
    (field names of :class:`ExportOptions`; a value of None means "the preset's") applied.

    Raises InputError naming an unknown preset or option, or a bad value.
    """
    name = "default" if preset in (None, "") else str(preset).lower()
    if name not in PRESETS:
        raise InputError(f"unknown export preset '{preset}'; choose one of {', '.join(PRESETS)}")
    known = sorted(spec.name for spec in option_fields())
    unknown = sorted(set(overrides) - set(known))
    if unknown:
        raise InputError(f"unknown export option '{unknown[0]}'; known: {', '.join(known)}")
    given = {key: value for key, value in overrides.items() if value is not None}
    if given.get("compress") == "meshopt" and "quantize" not in given:
        given["quantize"] = True  # meshopt is meant with quantised attributes (gltfpack's default)
    return ExportOptions(**{**PRESETS[name].values, **given})


def check_format(fmt, given):
    """Refuse options that would be ignored: ``given`` (names of the options the user set) for a file of format
    ``fmt`` (``"glb"``, ``"fbx"``...). Raises InputError naming the first glTF-only option given for a non-glTF
    format."""
    if fmt in GLTF_FORMATS:
        return
    ignored = [spec.name for spec in option_fields() if spec.metadata["gltf_only"] and spec.name in given]
    if ignored:
        raise InputError(
            f"export option {ignored[0]} only applies to glTF (.glb/.gltf), not .{fmt}; leave it out or write a .glb"
        )


def export_name(arkit_name, style):
    """The name ``arkit_name`` (an ARKit blend shape name) is exported under for name ``style``.

    ``"arkit"``: unchanged. ``"unreal"``: PascalCase, Live Link Face's curve names (``eyeBlinkLeft`` ->
    ``EyeBlinkLeft``, ``tongueOut`` -> ``TongueOut``). Names that are not ARKit's are returned unchanged.
    """
    if style == "unreal" and arkit_name in _ARKIT_SET:
        return arkit_name[:1].upper() + arkit_name[1:]
    return arkit_name


_ARKIT_SET = frozenset(ARKIT_NAMES)
