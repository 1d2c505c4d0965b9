# SPDX-License-Identifier: GPL-3.0-or-later
"""A capture turns eyeballs that are separate objects about their own centres (issue 20, ``--eye-objects``).

The ICT head as separate objects in Blender's axes (skin, each eyeball, teeth, gums and tongue, lashes; metres, the
face looking along -Y), rigged by facemotion (its eyeLook* keys turn each eyeball about the centre the part
classification found). A Live Link Face take with known eye yaw and pitch, and eyeLook* weights that would turn the
eyes by as much again, is captured with eye objects on. Measured on the evaluated meshes (shape keys and object
transform together): each eyeball's turn (a rigid fit of its world vertices against rest) is the take's eye angle
within :data:`ANGLE_BOUND`, its centre stays put within :data:`CENTRE_BOUND`, the skin is not moved as an object and
keeps the take's eyeLook* curves (the lids follow). Bad requests and a cancelled capture write nothing.
"""

import subprocess

import bpy
import numpy as np
import pytest
import synthetic_heads
from test_addon_ui import select_only
from test_batch import CLI, ROOT

import facemotion
from facemotion.core.arkit import ARKIT_NAMES
from facemotion.core.capture import live_link
from facemotion.core.capture.eye_objects import eyeball_pivot, turned_about
from facemotion.core.capture.head_pose import take_angles, world_rotations
from facemotion.core.capture.take import Take
from facemotion.core.errors import InputError
from facemotion.core.geometry import similarity_transform
from facemotion.facemotion_addon import compat, pipeline
from facemotion.facemotion_addon.takes import EYE_OBJECT_PROPERTY, MOTION_ACTION
from facemotion.operators.base import JobRunner
from facemotion.operators.capture import CaptureJob

#: Largest error of a keyed eye turn, radians: the CSV keeps 7 significant digits (<= 5e-8 rad on angles < 0.5), the
#: rotation is keyed as float32 Euler angles and the vertices are float32 (~1e-7 relative: ~1e-5 rad over a 12 mm
#: eyeball); 1e-4 rad (0.006 degrees) leaves room for both and is 5000 times smaller than the 30 degree turn a second
#: (shape-key) rotation would add.
ANGLE_BOUND = 1e-4
#: Largest move of an eyeball's centre, metres (float32 coordinates of a head 0.3 m across: ~3e-8 m per value).
CENTRE_BOUND = 1e-6
FPS = 24.0


def _blender_axes(part):
    """ICT's frame (centimetres, Y up, face toward +Z) -> Blender's (metres, Z up, face toward -Y)."""
    v = part.vertices * 0.01
    return np.column_stack([v[:, 0], -v[:, 2], v[:, 1]])


@pytest.fixture(scope="module")
def rigged_blend(tmp_path_factory):
    """The rigged ICT head with separate eyeballs, saved as a .blend; with the rig's eyeball centres (world)."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    objects = []
    for part in synthetic_heads.ict_parts():
        mesh = bpy.data.meshes.new(part.name)
        mesh.from_pydata(_blender_axes(part).tolist(), [], part.triangles.tolist())
        obj = bpy.data.objects.new(part.name, mesh)
        bpy.context.scene.collection.objects.link(obj)
        objects.append(obj)
    result, _ = pipeline.rig(objects)
    path = tmp_path_factory.mktemp("eyes") / "head.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    yield path, dict(result.parts.eye_centres)
    bpy.ops.wm.read_factory_settings(use_empty=True)


@pytest.fixture
def head(rigged_blend):
    """The rigged head opened, facemotion registered, every face object selected."""
    path, centres = rigged_blend
    bpy.ops.wm.open_mainfile(filepath=str(path))
    facemotion.register()
    objects = {obj.name: obj for obj in bpy.context.scene.objects if obj.type == "MESH" and obj.data.shape_keys}
    assert {"head_skin", "eyeball_left", "eyeball_right"} <= set(objects)
    select_only(*objects.values())
    yield objects, centres
    facemotion.unregister()
    bpy.ops.wm.read_factory_settings(use_empty=True)


def _take(n=25):
    """Known eye angles (left: yaw -0.35..0.35 rad, pitch a bump; right: its own) and eyeLook* weights that follow
    them (what an iPhone writes): a rig that also turned the eyeballs with the keys would turn them twice."""
    t = np.linspace(0.0, 1.0, n)
    eyes = np.zeros((n, 2, 3))
    eyes[:, 0, 0], eyes[:, 0, 1] = 0.7 * t - 0.35, 0.25 * np.sin(np.pi * t)
    eyes[:, 1, 0], eyes[:, 1, 1] = 0.3 * np.cos(np.pi * t), -0.2 * t
    weights = np.zeros((n, 52))
    for side, angles in (("Left", eyes[:, 0]), ("Right", eyes[:, 1])):
        yaw, pitch = angles[:, 0], angles[:, 1]
        out, inward = (yaw, -yaw) if side == "Left" else (-yaw, yaw)
        for name, value in (("Out", out), ("In", inward), ("Down", pitch), ("Up", -pitch)):
            weights[:, ARKIT_NAMES.index(f"eyeLook{name}{side}")] = np.clip(value / np.radians(30.0), 0.0, 1.0)
    return Take(fps=FPS, weights=weights, eye_rotation=eyes)


def _world_vertices(obj, evaluated):
    mesh = obj.evaluated_get(bpy.context.evaluated_depsgraph_get()).data if evaluated else obj.data
    co = np.empty(len(mesh.vertices) * 3, np.float64)
    mesh.vertices.foreach_get("co", co)
    matrix = np.array(obj.matrix_world)
    return co.reshape(-1, 3) @ matrix[:3, :3].T + matrix[:3, 3]


def _measured_turns(obj, rest, frames):
    """Per frame: the rigid fit ``(rotation (3, 3), shift (3,))`` taking the object's ``rest`` world vertices to
    its evaluated ones (shape keys and transform)."""
    turns = []
    for frame in frames:
        bpy.context.scene.frame_set(int(frame))
        turns.append(similarity_transform(rest, _world_vertices(obj, True), with_scale=False)[1:])
    return turns


def _check_eyes(objects, rest, centres, take):
    frames = np.arange(len(take)) + bpy.context.scene.frame_start
    for side, index, name in (("left", 0, "eyeball_left"), ("right", 1, "eyeball_right")):
        eyeball = objects[name]
        action = eyeball.animation_data.action
        assert action.name == MOTION_ACTION.format(object=name) and action[EYE_OBJECT_PROPERTY] == side
        fits = _measured_turns(eyeball, rest[name], frames)
        measured = take_angles(np.array([rotation for rotation, _ in fits]))
        error = np.abs(measured[:, :2] - take.eye_rotation[:, index, :2]).max()
        assert error < ANGLE_BOUND, (side, error)
        centre = np.asarray(centres[side])
        moved = max(np.linalg.norm(rotation @ centre + shift - centre) for rotation, shift in fits)
        assert moved < CENTRE_BOUND, (side, moved)
        # Its own eyeLook* curves are flat at 0: no second turn from the keys.
        key = eyeball.data.shape_keys
        looks = [c for c in compat.action_fcurves(key.animation_data.action, key) if "eyeLook" in c.data_path]
        assert looks and all(max(abs(k.co[1]) for k in c.keyframe_points) == 0.0 for c in looks)
    return frames


def test_capture_turns_separate_eyeballs_about_their_centres(head, tmp_path):
    objects, centres = head
    rest = {name: _world_vertices(obj, False) for name, obj in objects.items()}
    # The rig's own eyeLookOutLeft turns the left eyeball to the subject's left, 30 degrees: the take's positive yaw.
    blocks = objects["eyeball_left"].data.shape_keys.key_blocks
    look = [np.array([v.co for v in blocks[name].data]) for name in ("Basis", "eyeLookOutLeft")]
    yaw = take_angles(similarity_transform(*look, with_scale=False)[1])[0]
    assert yaw == pytest.approx(np.radians(30.0), abs=1e-4)
    take = _take()
    csv = tmp_path / "gaze.csv"
    live_link.write_live_link_csv(csv, take)
    bpy.context.scene.render.fps = int(FPS)
    bpy.context.scene.facemotion.capture_eye_objects = True
    assert bpy.ops.facemotion.capture_performance(filepath=str(csv)) == {"FINISHED"}
    frames = _check_eyes(objects, rest, centres, take)
    skin = objects["head_skin"]
    assert skin.animation_data is None or skin.animation_data.action is None  # the skin is not moved as an object
    key = skin.data.shape_keys
    curves = {c.data_path: c for c in compat.action_fcurves(key.animation_data.action, key)}
    out = np.array([curves['key_blocks["eyeLookOutLeft"].value'].evaluate(f) for f in frames])
    np.testing.assert_allclose(out, take.weights[:, ARKIT_NAMES.index("eyeLookOutLeft")], atol=1e-6)  # lids follow
    # Captured again with eye objects off: the eyeballs go back to rest and their eyeLook* keys turn them.
    bpy.context.scene.facemotion.capture_eye_objects = False
    assert bpy.ops.facemotion.capture_performance(filepath=str(csv)) == {"FINISHED"}
    eyeball = objects["eyeball_left"]
    assert eyeball.animation_data.action is None or not compat.action_fcurves(eyeball.animation_data.action, eyeball)
    assert np.allclose(np.array(eyeball.matrix_world), np.eye(4))


def test_the_command_line_option_and_a_head_turn(head, tmp_path):
    objects, centres = head
    rest = {name: _world_vertices(obj, False) for name, obj in objects.items()}
    take = _take()
    head_yaw = np.zeros((len(take), 3))
    head_yaw[:, 0] = np.linspace(0.0, 0.4, len(take))
    csv = tmp_path / "turn.csv"
    turning = Take(fps=FPS, weights=take.weights, head_rotation=head_yaw, eye_rotation=take.eye_rotation)
    live_link.write_live_link_csv(csv, turning)
    rigged = bpy.data.filepath
    out = tmp_path / "captured.blend"
    done = subprocess.run(
        [*CLI, "capture", str(csv), "--rig", rigged, "--out", str(out), "--eye-objects", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    refused = subprocess.run(
        [*CLI, "capture", str(csv), "--rig", rigged, "--out", str(tmp_path / "no.blend"), "--eye-objects"]
        + ["--eye-bones", "eye.L", "eye.R", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = refused.stderr.strip().splitlines()
    assert refused.returncode == 2 and len(lines) == 1 and "eye bones or eye objects, not both" in lines[0], lines
    assert not (tmp_path / "no.blend").exists()
    bpy.ops.wm.open_mainfile(filepath=str(out))
    objects = {obj.name: obj for obj in bpy.context.scene.objects if obj.name in rest}
    # The eyeball turns with the head (about the head object's origin, the world's) and by its own gaze after it.
    heads = world_rotations(head_yaw)
    frames = np.arange(len(take)) + bpy.context.scene.frame_start
    for side, index, name in (("left", 0, "eyeball_left"), ("right", 1, "eyeball_right")):
        fits = _measured_turns(objects[name], rest[name], frames)
        expected = heads @ world_rotations(take.eye_rotation[:, index])
        error = max(np.abs(rotation - want).max() for (rotation, _), want in zip(fits, expected))
        assert error < ANGLE_BOUND, (side, error)
        centre = np.asarray(centres[side])
        moved = max(np.linalg.norm(r @ centre + s - h @ centre) for (r, s), h in zip(fits, heads))
        assert moved < CENTRE_BOUND, (side, moved)


def test_bad_requests_and_a_cancelled_capture_write_nothing(head, tmp_path):
    objects, _ = head
    csv = tmp_path / "gaze.csv"
    live_link.write_live_link_csv(csv, _take(5))
    options = bpy.context.scene.facemotion
    options.capture_eye_objects = True
    select_only(objects["head_skin"])  # no eyeball among the faces to capture
    with pytest.raises(RuntimeError, match="none of head_skin is a separate eyeball"):
        bpy.ops.facemotion.capture_performance(filepath=str(csv))
    select_only(*objects.values())
    options.capture_eye_bone_left, options.capture_eye_bone_right = "eye.L", "eye.R"
    with pytest.raises(RuntimeError, match="eye bones or eye objects, not both"):
        bpy.ops.facemotion.capture_performance(filepath=str(csv))
    options.capture_eye_bone_left = options.capture_eye_bone_right = ""
    runner = JobRunner(CaptureJob(str(csv), list(objects.values())))
    runner.start(bpy.context)
    runner.cancel()
    while runner.step(bpy.context, wait=0.5) == "running":
        pass
    assert runner.state == "cancelled"
    assert len(bpy.data.actions) == 0
    assert all(obj.animation_data is None and obj.data.shape_keys.animation_data is None for obj in objects.values())


def test_eyeball_pivot_finds_a_rigid_turns_centre_and_refuses_what_is_not_one_eyeball():
    rng = np.random.default_rng(0)
    rest_points = rng.normal(size=(200, 3)) * 0.012 + (0.03, -0.05, 0.02)
    centre = np.array([0.031, -0.049, 0.021])
    yaw, pitch = world_rotations(np.array([[0.5, 0.0, 0.0], [0.0, 0.4, 0.0]]))
    looks = {
        "eyeLookOutLeft": (rest_points - centre) @ yaw.T + centre,
        "eyeLookDownLeft": (rest_points - centre) @ pitch.T + centre,
    }
    pivot = eyeball_pivot(rest_points, looks)
    assert pivot.side == "left" and np.abs(pivot.centre - centre).max() < 1e-12
    lid = rest_points.copy()
    lid[:20] += 0.002  # a lid moving while the rest stays: skin
    assert eyeball_pivot(rest_points, {"eyeLookUpLeft": lid}) is None
    assert eyeball_pivot(rest_points, {"eyeLookUpLeft": rest_points}) is None
    with pytest.raises(InputError, match="both eyes"):
        eyeball_pivot(rest_points, {**looks, "eyeLookOutRight": (rest_points - centre) @ yaw.T + centre})


def test_turned_about_keeps_the_centre_and_turns_every_point_about_it():
    rotation, location = world_rotations(np.array([0.2, -0.1, 0.3])), np.array([0.1, 0.2, -0.3])
    turns, centre = world_rotations(np.array([[0.4, 0.1, 0.0], [-0.3, 0.2, 0.1]])), np.array([0.5, -0.2, 0.4])
    rotations, locations = turned_about(turns, centre, location, rotation)
    local = np.array([[0.01, 0.02, -0.03], [0.3, -0.1, 0.2]])
    for turn, new_rotation, new_location in zip(turns, rotations, locations):
        before = local @ rotation.T + location
        np.testing.assert_allclose(local @ new_rotation.T + new_location, (before - centre) @ turn.T + centre)
