"""Characters as character tools name their parts, rigged in Blender (the bpy module, real ICT geometry, no mocks).

The ICT head with a separate tongue (tools/synthetic_heads.py ``ict_parts(tongue=True)``), placed where
``full_character`` puts it, as separate objects named as MakeHuman / MPFB, Character Creator, Ready Player Me and
MetaHuman name them (``NAMING_SCHEMES``: CC's eyes and teeth, RPM's and MetaHuman's teeth and tongue come as one
object each), every object's Face Part left at *Auto*; and the MakeHuman head again on the whole body. MakeHuman's
and CC's teeth rows are one piece each (``helper_teeth``), reaching past the lips' line: their shape alone leaves
them skin (the issue's MakeHuman head), their names make them teeth. One set of
landmarks (detected once on the MakeHuman head) serves every rig, so the part decisions can be compared exactly.

A Daz Genesis figure comes as one mesh whose material zones (``Teeth``, ``Tongue``, ``Sclera``...) name the parts.

What must hold on every character: eyeballs still in blinks and rigid in looks, upper teeth still in every shape,
lower teeth and tongue rigid in jawOpen, the tongue pushed out in tongueOut, the body below the neck still, and the
same decision for each vertex whether the head comes alone or on a body.
"""

import bpy
import numpy as np
import pytest
import synthetic_heads
from blender_fixtures import shape_key_co

from facemotion.core.arkit import ARKIT_NAMES
from facemotion.core.rig.parts import ROLE_EYE, ROLE_TEETH_LOWER, ROLE_TEETH_UPPER, ROLE_TONGUE, face_frame
from facemotion.facemotion_addon import rigging

SCHEMES = ("makehuman", "character_creator", "ready_player_me", "metahuman")
#: A Daz Genesis figure: one mesh whose material zones name the parts (ICT part -> material).
DAZ_MATERIALS = {
    "head_skin": "Face",
    "eyeball_left": "Sclera",
    "eyeball_right": "Sclera",
    "upper_teeth": "Teeth",
    "lower_teeth": "Teeth",
    "tongue": "Tongue",
    "gums_and_tongue": "Mouth",
    "eyelashes": "Eyelashes",
}
CASES = SCHEMES + ("daz", "makehuman_body")
HEAD = set(synthetic_heads.ICT_HEAD_PARTS) | {"tongue"}
#: What each ICT part must become (the joined gums and tongue and the lashes: soft, skin).
TRUTH = {
    "eyeball_left": ROLE_EYE,
    "eyeball_right": ROLE_EYE,
    "upper_teeth": ROLE_TEETH_UPPER,
    "lower_teeth": ROLE_TEETH_LOWER,
    "tongue": ROLE_TONGUE,
}


def _object(part):
    mesh = bpy.data.meshes.new(part.name)
    mesh.from_pydata(part.vertices.tolist(), [], part.triangles.tolist())
    obj = bpy.data.objects.new(part.name, mesh)
    bpy.context.scene.collection.objects.link(obj)
    return obj


def _rigged(parts, scheme, landmarks, gaze=(30.0, 25.0)):
    """Build ``parts`` as objects named per ``scheme``, rig them with ``landmarks`` (world, or None: detect) and
    ``gaze``; returns a dict: per ICT part name its ``(object, start, stop)``, the result, the landmarks and
    per-object text."""
    named, origin = synthetic_heads.named_parts(parts, scheme)
    objects = [_object(p) for p in named]
    if landmarks is None:
        landmarks = rigging.find_face(rigging.read_selection(objects))[0].points
    rigging.write_landmark_object(objects, landmarks)
    result, _ = rigging.rig_objects(objects, gaze=gaze)
    # Blender names a second "helper-l-eye" "helper-l-eye.001": everything is keyed by the scheme's names.
    by_name = {p.name: obj for p, obj in zip(named, objects)}
    where = {old: (by_name[new], a, b) for new, pieces in origin.items() for old, a, b in pieces}
    combined = rigging.read_selection(objects).combined
    roles = {p.name: result.parts.roles[start:stop] for p, (start, stop) in zip(named, combined.slices)}
    texts = rigging.describe_rig(objects, result)
    return {
        "where": where,
        "by_name": by_name,
        "result": result,
        "landmarks": landmarks,
        "roles": roles,
        "texts": {p.name: texts[obj.name] for p, obj in zip(named, objects)},
    }


def _daz_rigged(parts, landmarks):
    """``parts`` as one object ``Genesis8Female`` with a material per zone (:data:`DAZ_MATERIALS`), rigged with
    ``landmarks``; the same dict as :func:`_rigged`."""
    vertices, triangles, index = synthetic_heads.joined(parts)
    obj = _object(synthetic_heads.MeshPart("Genesis8Female", vertices, triangles, "auto"))
    names = sorted(set(DAZ_MATERIALS.values()))
    for name in names:
        obj.data.materials.append(bpy.data.materials.new(name))
    # from_pydata keeps the triangles' order: polygon k is triangle k, its zone is its first corner's part.
    zone = [names.index(DAZ_MATERIALS[parts[k].name]) for k in index[triangles[:, 0]]]
    obj.data.polygons.foreach_set("material_index", np.asarray(zone, dtype=np.int32))
    obj.data.update()
    rigging.write_landmark_object([obj], landmarks)
    result, _ = rigging.rig_objects([obj])
    starts = np.searchsorted(index, np.arange(len(parts)))
    where = {p.name: (obj, int(a), int(a) + len(p.vertices)) for p, a in zip(parts, starts)}
    return {
        "where": where,
        "by_name": {obj.name: obj},
        "result": result,
        "landmarks": landmarks,
        "roles": {obj.name: result.parts.roles},
        "texts": rigging.describe_rig([obj], result),
    }


def _scheme_name(character, obj):
    return next(name for name, o in character["by_name"].items() if o == obj)


def _deltas(character, part, name):
    """``(K, 3) float64`` world-sized displacement of ICT part ``part``'s vertices in shape ``name`` (0 when the
    object got no keys: it never moves)."""
    obj, start, stop = character["where"][part]
    if obj.data.shape_keys is None:
        return np.zeros((stop - start, 3))
    d = shape_key_co(obj, name) - shape_key_co(obj, "Basis")
    return d[start:stop].astype(np.float64)


def _rest(character, part):
    obj, start, stop = character["where"][part]
    co = np.empty(len(obj.data.vertices) * 3, dtype=np.float32)
    obj.data.vertices.foreach_get("co", co)
    return co.reshape(-1, 3)[start:stop].astype(np.float64)


def _stretch(rest, moved, seed=0):
    """Largest change of a distance between 200 vertex pairs, as a share of the part's size (0 for rigid)."""
    pick = np.random.default_rng(seed).choice(len(rest), min(200, len(rest)), replace=False)
    d0 = np.linalg.norm(rest[pick, None] - rest[None, pick], axis=-1)
    d1 = np.linalg.norm(moved[pick, None] - moved[None, pick], axis=-1)
    return np.abs(d1 - d0).max() / np.ptp(rest, axis=0).max()


@pytest.fixture(scope="module")
def characters():
    bpy.ops.wm.read_factory_settings(use_empty=True)
    body = synthetic_heads.full_character(tongue=True)
    head = [p for p in body if p.name in HEAD]
    # MakeHuman's and Character Creator's teeth rows are one piece each: the shape alone leaves them skin.
    arches = synthetic_heads.helper_teeth
    out = {"makehuman": _rigged(arches(head), "makehuman", None)}
    landmarks = out["makehuman"]["landmarks"]
    for scheme in SCHEMES[1:]:
        out[scheme] = _rigged(arches(head) if scheme == "character_creator" else head, scheme, landmarks)
    out["daz"] = _daz_rigged(arches(head), landmarks)
    out["makehuman_body"] = _rigged(arches(body), "makehuman", landmarks)
    out["lids_only"] = _rigged(head, "ready_player_me", landmarks, gaze=(0.0, 0.0))
    out["gaze_15_10"] = _rigged(head, "ready_player_me", landmarks, gaze=(15.0, 10.0))
    yield out
    bpy.ops.wm.read_factory_settings(use_empty=True)


@pytest.mark.parametrize("case", CASES)
def test_each_part_is_what_its_name_and_shape_say(characters, case):
    character = characters[case]
    for part, role in TRUTH.items():
        obj, start, stop = character["where"][part]
        found = character["roles"][_scheme_name(character, obj)][start:stop]
        assert (found == role).mean() > 0.99, (case, part, np.unique(found, return_counts=True))


@pytest.mark.parametrize("case", CASES)
def test_eyes_teeth_and_tongue_move_as_rigid_parts(characters, case):
    character = characters[case]
    for side in ("left", "right"):
        eye = f"eyeball_{side}"
        for blink in ("eyeBlinkLeft", "eyeBlinkRight"):
            assert np.abs(_deltas(character, eye, blink)).max() < 1e-6, (case, eye, blink)
        look = _deltas(character, eye, f"eyeLookOut{side.title()}")
        assert np.linalg.norm(look, axis=1).max() > 1e-3, (case, eye)  # metres: the eyeball turns
        rest = _rest(character, eye)
        assert _stretch(rest, rest + look) < 2e-3, (case, eye)
    for name in ARKIT_NAMES:
        assert np.abs(_deltas(character, "upper_teeth", name)).max() == 0.0, (case, name)
    for part in ("lower_teeth", "tongue"):
        jaw = _deltas(character, part, "jawOpen")
        assert np.linalg.norm(jaw, axis=1).max() > 0.003, (case, part)
        rest = _rest(character, part)
        assert _stretch(rest, rest + jaw) < 2e-3, (case, part)


@pytest.mark.parametrize("case", CASES)
def test_a_separate_tongue_sticks_out(characters, case):
    character = characters[case]
    out = _deltas(character, "tongue", "tongueOut")
    forward = face_frame(character["landmarks"])[1][2]  # out of the face
    assert (out @ forward).max() > 0.005, case  # the tip moves > 5 mm out
    assert "tongueOut" not in characters[case]["result"].empty


def test_the_body_below_the_neck_stays_still(characters):
    character = characters["makehuman_body"]
    body = character["by_name"]["body"]
    if body.data.shape_keys is None:
        return
    neck = min(_rest(character, "head_skin")[:, 1]) - 0.1  # 10 cm below the head's lowest point
    co = shape_key_co(body, "Basis")
    far = co[:, 1] < neck
    assert far.mean() > 0.5
    assert max(np.abs((shape_key_co(body, n) - co)[far]).max() for n in ARKIT_NAMES) == 0.0


def test_a_head_alone_and_on_a_body_get_the_same_decisions(characters):
    alone, on_body = characters["makehuman"], characters["makehuman_body"]
    for name, roles in alone["roles"].items():
        assert np.array_equal(roles, on_body["roles"][name]), name
        assert alone["texts"][name] == on_body["texts"][name], name


def test_the_report_names_what_each_object_became(characters):
    texts = characters["makehuman"]["texts"]
    assert texts["helper-upper-teeth"] == "upper teeth" and texts["helper-lower-teeth"] == "lower teeth", texts
    assert texts["helper-tongue"] == "tongue" and texts["helper-l-eye"] == "eye", texts
    assert characters["character_creator"]["texts"]["CC_Base_Eye"] == "2 eyes"
    assert characters["ready_player_me"]["texts"]["Wolf3D_Teeth"] == "teeth + tongue"
    assert characters["makehuman_body"]["texts"]["Cube"] == "ignored"
    # Human heads with a mouth that opens: nothing looked wrong.
    assert all(character["result"].warnings == [] for character in characters.values())


def _turn_degrees(rest, delta, centre):
    """The rotation angle (degrees) that best maps ``rest - centre`` to ``rest + delta - centre`` (Kabsch)."""
    a, b = rest - centre, rest + delta - centre
    u, _, vt = np.linalg.svd(a.T @ b)
    r = (u @ vt).T
    return float(np.degrees(np.arccos(np.clip((np.trace(r) - 1) / 2, -1.0, 1.0))))


@pytest.mark.parametrize(
    "case, horizontal, vertical", [("ready_player_me", 30.0, 25.0), ("gaze_15_10", 15.0, 10.0), ("lids_only", 0.0, 0.0)]
)
def test_the_gaze_style_sets_how_far_the_eyeballs_turn(characters, case, horizontal, vertical):
    character = characters[case]
    centre = character["result"].parts.eye_centres["left"]
    rest = _rest(character, "eyeball_left")
    for name, degrees in (("eyeLookOutLeft", horizontal), ("eyeLookUpLeft", vertical)):
        assert _turn_degrees(rest, _deltas(character, "eyeball_left", name), centre) == pytest.approx(degrees, abs=0.1)
    # The lids follow the gaze in every style (the template's eyeLook* lid motion).
    lids = np.linalg.norm(_deltas(character, "head_skin", "eyeLookUpLeft"), axis=1).max()
    assert lids > 5e-4, (case, lids)


def test_the_command_line_gaze_option():
    from facemotion.core.errors import InputError
    from facemotion.facemotion_addon.cli.commands import gaze_style

    assert gaze_style("turn") == (30.0, 25.0) and gaze_style("lids") == (0.0, 0.0)
    assert gaze_style("20,12.5") == (20.0, 12.5)
    with pytest.raises(InputError, match="--gaze sideways: use 'turn', 'lids'"):
        gaze_style("sideways")
