# SPDX-License-Identifier: GPL-3.0-or-later
"""What a character's object and material names say about its face parts: the naming schemes of character tools.

Character tools name their face parts consistently, so a name is a strong prior for the part's role (confirmed by
its geometry in :mod:`.part_cues`). Names are split into lower-case words at separators, camelCase humps and
digit runs (``"CC_Base_EyeOcclusion"`` -> ``cc base eye occlusion``,
``"helper-upper-teeth"`` -> ``helper upper teeth``, ``"eyeLeft_lod0_mesh"`` -> ``eye left lod 0 mesh``), and
:data:`NAME_CUES` is read top to bottom; the first rule whose words match gives the role. Order matters: the shells
and hairs that lie on an eye or around it (lashes, brows, occlusion and tear-line shells, a Daz ``EyeMoisture``)
follow the lids as skin and must be matched before the bare word "eye".

The conventions, as each tool names its meshes or materials (checked against public exports and importers):

* MakeHuman / MPFB: basemesh helpers ``helper-upper-teeth``, ``helper-lower-teeth``, ``helper-tongue``,
  ``helper-l-eye``, ``helper-r-eye`` (vertex groups of the basemesh, separate objects once split), proxies
  ``HighPolyEyes``, ``Teeth_base``, ``Tongue01``, ``Eyelashes01``, ``Eyebrow001`` (makehumancommunity/mpfb2, its
  ``data/mesh_metadata`` and system assets).
* Character Creator / iClone (Reallusion): ``CC_Base_Body``, ``CC_Base_Eye`` (both eyeballs), ``CC_Base_Teeth``
  (upper and lower), ``CC_Base_Tongue``, ``CC_Base_EyeOcclusion``, ``CC_Base_TearLine``; materials
  ``Std_Upper_Teeth``, ``Std_Lower_Teeth``, ``Std_Tongue``, ``Std_Cornea_L``, ``Std_Eye_R``, ``Std_Eyelash``
  (soupday/cc_blender_tools).
* Daz Genesis 3/8/9 (Diffeomorphic importer): one figure mesh whose material zones say the part: ``Teeth``,
  ``Mouth`` (gums and tongue: no cue), ``Tongue`` (Genesis 9), ``Cornea``, ``Irises``, ``Pupils``, ``Sclera``,
  ``EyeMoisture`` (a lid-following film), ``Eyelashes``.
* MetaHuman exports (Epic, DNA / FBX LOD meshes): ``head_lod0_mesh``, ``teeth_lod0_mesh``, ``eyeLeft_lod0_mesh``,
  ``eyeRight_lod0_mesh``, ``eyeshell_lod0_mesh`` and ``eyeEdge_lod0_mesh`` (lid-following shells),
  ``eyelashes_lod0_mesh``, ``saliva_lod0_mesh`` (a film over teeth and gums: no cue, geometry decides).
* VRoid Studio (VRM): the ``Face`` mesh's materials ``..._FaceMouth_...`` (mouth inside, no cue),
  ``..._EyeIris_...``, ``..._EyeWhite_...``, ``..._EyeHighlight_...``, ``..._FaceBrow_...``,
  ``..._FaceEyeline_...``, ``..._FaceEyelash_...``; ``Hair`` meshes.
* Ready Player Me (glTF): ``Wolf3D_Head``, ``Wolf3D_Teeth`` (upper, lower teeth and tongue), ``EyeLeft``,
  ``EyeRight``, ``Wolf3D_Hair``, ``Wolf3D_Beard``, ``Wolf3D_Body``, ``Wolf3D_Outfit_*``.

Gums (``gums``, even with ``tongue`` in the name: ICT-FaceKit's ``M_GumsTongue`` material) carry no cue: one soft
mesh across both jaws is neither rigid row, and the geometry decides. Scalp hair (``hair`` without a brow or lash
word) is left still: it lies on the scalp, not on the moving face. A
beard (``beard``, ``moustache``) has no cue: it sits on the jaw, and geometry decides (it follows the skin).
"""

import re
from dataclasses import dataclass

from .parts import ROLE_AUTO, ROLE_NAMES

__all__ = ["NAME_CUES", "NameCue", "name_role", "name_words"]


@dataclass(frozen=True)
class NameCue:
    """One rule of :data:`NAME_CUES`: a name holding any of ``words`` (and, when ``with_words`` is not empty, also
    any of those) names a part of role ``role`` (a :data:`facemotion.core.rig.parts.ROLE_NAMES` key; ``"auto"``: the
    name says the geometry must decide, and later rules are not read). ``why``: the naming schemes that use it."""

    role: str
    words: frozenset
    with_words: frozenset = frozenset()
    why: str = ""


def _cue(role, words, with_words="", why=""):
    return NameCue(role, frozenset(words.split()), frozenset(with_words.split()), why)


#: The rules, first match wins (see the module docstring for the sources).
NAME_CUES = (
    _cue(
        "skin",
        "eyelash eyelashes lash lashes eyebrow eyebrows brow brows eyeline eyelid eyelids lid lids "
        "tear tearline eyeshell moisture occlusion lacrimal cartilage",
        why="lashes, brows and lid-following shells (CC, MetaHuman, Daz, VRoid, MakeHuman)",
    ),
    _cue(
        "skin",
        "eye eyes",
        "edge shell wet blend",
        why="MetaHuman eyeEdge, ICT-FaceKit eye_blend: shells named in two words",
    ),
    _cue(
        "auto",
        "gum gums gingiva",
        why="gums, alone or with the tongue (ICT-FaceKit's M_GumsTongue, MakeHuman's gums): soft tissue across both "
        "jaws, the geometry decides",
    ),
    _cue("ignore", "hair hairs haircut", why="scalp hair (RPM Wolf3D_Hair, VRoid Hair, CC hair): never moves"),
    _cue(
        "upper_teeth", "teeth tooth", "upper up top maxillary", why="MakeHuman helper-upper-teeth, CC Std_Upper_Teeth"
    ),
    _cue(
        "lower_teeth",
        "teeth tooth",
        "lower low bottom mandibular",
        why="MakeHuman helper-lower-teeth, CC Std_Lower_Teeth",
    ),
    _cue("tongue", "tongue", why="MakeHuman helper-tongue, CC_Base_Tongue, Daz Genesis 9 Tongue"),
    _cue(
        "teeth",
        "teeth tooth dental denture",
        why="CC_Base_Teeth, Daz Teeth, MetaHuman teeth_lod0, Wolf3D_Teeth: split upper/lower by geometry",
    ),
    _cue(
        "eye",
        "eye eyes eyeball eyeballs cornea iris irises pupil pupils sclera",
        why="MakeHuman helper-l-eye, CC_Base_Eye, Daz Cornea/Irises/Sclera, MetaHuman eyeLeft, VRoid EyeIris, "
        "RPM EyeLeft",
    ),
)

_HUMP = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def name_words(name):
    """Lower-case words of a name: split at non-alphanumerics and camelCase humps (``"CC_Base_EyeOcclusion"`` ->
    ``["cc", "base", "eye", "occlusion"]``; ``"Tongue01"`` -> ``["tongue", "01"]``). ``list[str]``."""
    words = []
    for chunk in re.split(r"[^0-9A-Za-z]+", str(name)):
        words.extend(w.lower() for w in _HUMP.findall(chunk))
    return words


def name_role(*names):
    """The part role the first cue-bearing name of ``names`` (object name, mesh name, material name...) gives, as a
    :data:`facemotion.core.rig.parts.ROLE_NAMES` value, or ``ROLE_AUTO`` (-1) when no name carries a cue.

    Example: ``name_role("helper-upper-teeth")`` is ``ROLE_TEETH_UPPER``; ``name_role("CC_Base_EyeOcclusion")`` is
    ``ROLE_SKIN``; ``name_role("Body")`` is ``ROLE_AUTO``.
    """
    for name in names:
        if not name:
            continue
        words = set(name_words(name))
        for cue in NAME_CUES:
            if words & cue.words and (not cue.with_words or words & cue.with_words):
                return ROLE_NAMES[cue.role]
    return ROLE_AUTO
