# SPDX-License-Identifier: GPL-3.0-or-later
"""Baking for shots (issue 7 item 2): start frame, scene range kept, sparse keys within 1e-3, re-bake, NLA push.

Real bpy: the operator bakes the demo timeline onto a small hand-made ARKit mesh; the sparse curves are checked
with Blender's own ``FCurve.evaluate`` against the dense per-frame weights at every frame.
"""

import bpy
import numpy as np
import pytest
from linear_keys import linear_keys_error, sparse_key_indices
from test_addon_ui import add_arkit_keys, grid_object, registered, select_only  # noqa: F401 (fixture)

from facemotion.core.arkit import ARKIT_NAMES
from facemotion.core.errors import InputError
from facemotion.facemotion_addon import compat, keyframes, pipeline
from facemotion.facemotion_addon.settings.properties import timeline_settings


@pytest.fixture
def face(registered):  # noqa: F811
    obj = grid_object()
    add_arkit_keys(obj)
    select_only(obj)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.frame_start, scene.frame_end = 30, 400
    assert bpy.ops.facemotion.timeline_demo_keys() == {"FINISHED"}
    return obj


def curves_of(obj):
    key = obj.data.shape_keys
    return {fc.data_path: fc for fc in compat.action_fcurves(key.animation_data.action, key)}


def dense_weights(scene, obj=None):
    obj = obj if obj is not None else bpy.context.view_layer.objects.active
    weights, _ = pipeline.bake_weights(timeline_settings(obj, scene), fps=24)
    return weights


# ------------------------------------------------------------------------------------------------- pure numpy


def test_sparse_key_indices_meet_the_tolerance_and_keep_ends():
    frames = np.arange(200)
    values = np.where(frames < 50, 0.0, 0.5 - 0.5 * np.cos(np.clip(frames - 50, 0, 30) / 30 * np.pi))
    values[120:126] += np.array([0.2, 0.6, 1.0, 0.6, 0.2, 0.0])  # a blink
    indices = sparse_key_indices(values, 1e-3)
    assert indices[0] == 0 and indices[-1] == 199 and np.all(np.diff(indices) > 0)
    assert linear_keys_error(values, indices) <= 1e-3
    assert len(indices) < 60  # flat holds cost two keys, not one per frame
    assert list(sparse_key_indices(np.zeros(100))) == [0, 99]
    with pytest.raises(InputError):
        sparse_key_indices(np.array([0.0, np.nan, 1.0]))


# ------------------------------------------------------------------------------------------------------ bpy


def test_bake_at_start_frame_keeps_the_scene_range(face):
    scene = bpy.context.scene
    assert bpy.ops.facemotion.bake_timeline(frame_start=37) == {"FINISHED"}
    assert (scene.frame_start, scene.frame_end) == (30, 400)
    curves = curves_of(face)
    assert len(curves) == len(ARKIT_NAMES)
    n = len(dense_weights(scene))
    for fc in curves.values():
        assert fc.keyframe_points[0].co[0] == 37
        assert fc.keyframe_points[-1].co[0] == 37 + n - 1


def test_default_start_is_the_scene_start_and_range_can_be_set(face):
    scene = bpy.context.scene
    assert bpy.ops.facemotion.bake_timeline() == {"FINISHED"}
    assert all(fc.keyframe_points[0].co[0] == 30 for fc in curves_of(face).values())
    n = len(dense_weights(scene))
    assert bpy.ops.facemotion.bake_timeline(frame_start=5, set_frame_range=True) == {"FINISHED"}
    assert (scene.frame_start, scene.frame_end) == (5, 5 + n - 1)


def test_sparse_keys_evaluate_within_1e3_of_the_dense_curve(face):
    scene = bpy.context.scene
    assert bpy.ops.facemotion.bake_timeline(frame_start=37) == {"FINISHED"}
    dense = dense_weights(scene)
    n = len(dense)
    curves = curves_of(face)
    worst, n_keys = 0.0, 0
    for column, name in enumerate(ARKIT_NAMES):
        fc = curves[keyframes.shape_key_data_path(name)]
        n_keys += len(fc.keyframe_points)
        got = np.array([fc.evaluate(37 + f) for f in range(n)])
        worst = max(worst, float(np.max(np.abs(got - dense[:, column]))))
    assert worst <= 1e-3
    ratio = n_keys / (n * len(ARKIT_NAMES))
    print(
        f"demo timeline: {n_keys} sparse keys vs {n * len(ARKIT_NAMES)} dense ({ratio:.1%}), "
        f"max |evaluate - dense| = {worst:.2e}"
    )
    assert ratio < 0.05  # Bezier keys at the emotion keys and blinks (the linear keys needed ~12 %)
    assert all(
        p.interpolation == "BEZIER" and p.handle_left_type in ("FREE", "ALIGNED")
        for fc in curves.values()
        for p in fc.keyframe_points
    )
    assert str(n_keys) in bpy.context.scene.facemotion.last_report  # the key count is reported
    # The same bake dense: one key per frame per curve.
    assert bpy.ops.facemotion.bake_timeline(frame_start=37, sparse=False) == {"FINISHED"}
    assert all(len(fc.keyframe_points) == n for fc in curves_of(face).values())


def test_rebake_replaces_only_facemotions_action(face):
    key = face.data.shape_keys
    assert bpy.ops.facemotion.bake_timeline(frame_start=37) == {"FINISHED"}
    ours = key.animation_data.action
    assert bpy.ops.facemotion.bake_timeline(frame_start=50) == {"FINISHED"}
    assert key.animation_data.action == ours  # our action is reused, its curves rewritten
    assert all(fc.keyframe_points[0].co[0] == 50 for fc in curves_of(face).values())
    assert len(curves_of(face)) == len(ARKIT_NAMES)

    user = bpy.data.actions.new("user_action")
    key.animation_data.action = user
    if compat.LAYERED_ACTIONS:
        key.animation_data.action_slot = None
    with pytest.raises(RuntimeError, match="did not create"):
        bpy.ops.facemotion.bake_timeline(frame_start=37)
    assert key.animation_data.action == user
    assert bpy.ops.facemotion.bake_timeline(frame_start=37, replace=True) == {"FINISHED"}
    assert keyframes.is_facemotion_action(key.animation_data.action)
    assert user.name in bpy.data.actions and user.use_fake_user


def test_push_to_nla_makes_a_strip_and_the_next_bake_a_new_action(face):
    key = face.data.shape_keys
    assert bpy.ops.facemotion.bake_timeline(frame_start=37, push_nla=True) == {"FINISHED"}
    anim = key.animation_data
    assert anim.action is None
    track = anim.nla_tracks[keyframes.NLA_TRACK]
    assert len(track.strips) == 1
    strip = track.strips[0]
    pushed = strip.action
    assert keyframes.is_facemotion_action(pushed) and strip.name == pushed.name
    assert strip.frame_start == 37
    n_pushed = (
        {fc.data_path: len(fc.keyframe_points) for fc in compat.action_fcurves(pushed, key)}
        if not compat.LAYERED_ACTIONS
        else None
    )
    # The strip animates the shape keys: at the demo's happy key (1.5 s) the smile shows.
    bpy.context.scene.frame_set(37 + 36)
    dense = dense_weights(bpy.context.scene)
    smile = key.key_blocks["mouthSmileLeft"]
    assert smile.value == pytest.approx(dense[36, ARKIT_NAMES.index("mouthSmileLeft")], abs=1e-3)
    assert smile.value > 0.1

    assert bpy.ops.facemotion.bake_timeline(frame_start=200) == {"FINISHED"}
    fresh = anim.action
    assert fresh is not None and fresh != pushed and keyframes.is_facemotion_action(fresh)
    assert strip.action == pushed and len(track.strips) == 1
    first_keys = (
        [fc.keyframe_points[0].co[0] for fc in pushed.layers[0].strips[0].channelbags[0].fcurves]
        if compat.LAYERED_ACTIONS
        else [fc.keyframe_points[0].co[0] for fc in pushed.fcurves]
    )
    assert set(first_keys) == {37.0}  # the pushed action was not rewritten by the next bake
    assert n_pushed is None or len(n_pushed) == len(ARKIT_NAMES)


# ---------------------------------------------------------------------------------------------------- presets


def test_presets_round_trip_through_a_folder(face, monkeypatch, tmp_path):
    import json

    from facemotion.core.emotion.presets import preset_weights
    from facemotion.facemotion_addon.settings import presets

    monkeypatch.setenv(presets.ENV_PRESETS, str(tmp_path))
    scene = bpy.context.scene
    props = scene.facemotion
    timeline = face.facemotion
    props.emotion, props.intensity = "surprise", 0.4
    assert bpy.ops.facemotion.preset_save(kind="emotion", name="shock") == {"FINISHED"}
    doc = json.loads((tmp_path / "emotion_shock.json").read_text())
    assert doc["emotion"] == "surprise" and doc["intensity"] == pytest.approx(0.4)
    np.testing.assert_allclose([doc["weights"][n] for n in ARKIT_NAMES], preset_weights("surprise", 0.4), atol=1e-6)
    before = [(k.time, k.emotion, k.intensity, k.transition, k.easing) for k in timeline.timeline_keys]
    timeline.blink_seed = 7
    assert bpy.ops.facemotion.preset_save(kind="timeline", name="demo shot") == {"FINISHED"}
    assert presets.list_presets("emotion") == ["shock"] and presets.list_presets("timeline") == ["demo shot"]

    props.emotion, props.intensity = "happy", 1.0
    timeline.timeline_keys.clear()
    timeline.blink_seed = 0
    assert bpy.ops.facemotion.preset_load(kind="emotion", name="shock") == {"FINISHED"}
    assert props.emotion == "surprise" and props.intensity == pytest.approx(0.4)
    assert bpy.ops.facemotion.preset_load(kind="timeline", name="demo shot") == {"FINISHED"}
    after = [(k.time, k.emotion, k.intensity, k.transition, k.easing) for k in timeline.timeline_keys]
    assert len(after) == len(before) == 6
    for (time, emotion, intensity, transition, easing), expected in zip(after, before):
        assert (emotion, easing) == (expected[1], expected[4])
        np.testing.assert_allclose([time, intensity, transition], [expected[0], expected[2], expected[3]], atol=1e-6)
    assert timeline.blink_seed == 7

    # Wheel keys (a dyad, a pair with mix and blend) survive the round trip.
    from facemotion.facemotion_addon.settings.properties import add_timeline_key

    add_timeline_key(face, 7.0, "love")
    add_timeline_key(face, 8.0, "joy+trust", 0.8, mix=0.7, blend="linear")
    assert bpy.ops.facemotion.preset_save(kind="timeline", name="wheel") == {"FINISHED"}
    timeline.timeline_keys.clear()
    assert bpy.ops.facemotion.preset_load(kind="timeline", name="wheel") == {"FINISHED"}
    wheel = [(k.wheel_emotion, round(k.mix, 4), k.blend) for k in timeline.timeline_keys][-2:]
    assert wheel[0][0] == "love" and wheel[1] == ("joy+trust", 0.7, "linear")
    (tmp_path / "timeline_wheel.json").unlink()

    with pytest.raises(RuntimeError, match="no emotion preset named"):
        bpy.ops.facemotion.preset_load(kind="emotion", name="missing")
    with pytest.raises(RuntimeError, match="preset name"):
        bpy.ops.facemotion.preset_save(kind="emotion", name="../escape")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["emotion_shock.json", "timeline_demo shot.json"]


def test_sparse_bake_exports_the_same_per_frame_animation_to_gltf(face, tmp_path):
    from test_cli import accessor, read_gltf

    scene = bpy.context.scene
    assert bpy.ops.facemotion.bake_timeline(frame_start=1, set_frame_range=True) == {"FINISHED"}
    dense = dense_weights(scene)
    out = tmp_path / "shot.glb"
    pipeline.export([face], out)
    doc, buffers = read_gltf(out)
    (animation,) = doc["animations"]
    (channel,) = animation["channels"]
    sampler = animation["samplers"][channel["sampler"]]
    times = accessor(doc, buffers, sampler["input"])[:, 0].astype(np.float64)
    values = accessor(doc, buffers, sampler["output"])[:, 0].astype(np.float64)
    # Keyed export: the 52 targets share key times (far fewer than frames), and the glTF curve an engine evaluates
    # reproduces the per-frame bake within 1e-3 at every frame (glTF 2.0 spec, Appendix C interpolation).
    assert times[0] == pytest.approx(0.0, abs=1e-6) and len(times) < len(dense)
    frames = np.arange(len(dense)) / 24
    n = dense.shape[1]
    if sampler.get("interpolation", "LINEAR") == "CUBICSPLINE":
        triples = values.reshape(len(times), 3, n)  # in-tangent, value, out-tangent per key
        got = np.empty_like(dense, dtype=np.float64)
        for i, t in enumerate(frames):
            k = min(max(np.searchsorted(times, t, side="right") - 1, 0), len(times) - 2)
            dt = times[k + 1] - times[k]
            u = (t - times[k]) / dt
            p0, m0 = triples[k, 1], triples[k, 2] * dt
            p1, m1 = triples[k + 1, 1], triples[k + 1, 0] * dt
            got[i] = (
                (2 * u**3 - 3 * u**2 + 1) * p0
                + (u**3 - 2 * u**2 + u) * m0
                + (-2 * u**3 + 3 * u**2) * p1
                + (u**3 - u**2) * m1
            )
    else:
        keyed = values.reshape(len(times), n)
        got = np.stack([np.interp(frames, times, keyed[:, j]) for j in range(n)], axis=1)
    np.testing.assert_allclose(got, dense, atol=1.1e-3)


def test_overlapping_pushes_go_to_a_second_facemotion_track(face):
    key = face.data.shape_keys
    for _ in range(2):
        assert bpy.ops.facemotion.bake_timeline(frame_start=37, push_nla=True) == {"FINISHED"}
    tracks = [t for t in key.animation_data.nla_tracks if t.name.startswith(keyframes.NLA_TRACK)]
    assert len(tracks) == 2 and [len(t.strips) for t in tracks] == [1, 1]
    first, second = (t.strips[0] for t in tracks)
    assert first.action != second.action and first.frame_start == second.frame_start == 37
    assert key.animation_data.action is None
    # A later, non-overlapping push goes back onto the first track.
    assert bpy.ops.facemotion.bake_timeline(frame_start=400, push_nla=True) == {"FINISHED"}
    assert [len(t.strips) for t in tracks] == [2, 1]


# ------------------------------------------------------------------------------------------- one timeline per head


def test_each_rigged_head_has_its_own_timeline_baked_panel_shown_and_saved(face, tmp_path):
    from test_addon_ui import context_for, draw_panel, labels_in

    from facemotion.facemotion_addon.settings.properties import add_timeline_key, timeline_object

    scene = bpy.context.scene
    other = grid_object("Other")
    add_arkit_keys(other)
    add_timeline_key(other, 0.0, "neutral")
    edit = add_timeline_key(other, 2.0, "anger", 0.7, transition=0.8, easing="linear")
    assert edit.added and edit.index == 1
    other.facemotion.blinks = False
    # The active rigged face owns the panel's timeline; another active rigged face switches it.
    select_only(face, other)
    assert timeline_object(bpy.context) == face
    bpy.context.view_layer.objects.active = other
    assert timeline_object(bpy.context) == other
    panel = bpy.types.FACEMOTION_PT_timeline
    assert "Timeline of Other" in labels_in(draw_panel(panel, context_for(other, [face, other])))
    assert "Timeline of Face" in labels_in(draw_panel(panel, context_for(face, [face, other])))
    assert "Timeline of Face" in labels_in(draw_panel(panel, context_for(None, [face, other])))  # first selected
    # Add Key acts on the active face only.
    scene.frame_set(30 + 24)
    assert bpy.ops.facemotion.timeline_add_key(emotion="happy") == {"FINISHED"}
    assert [k.emotion for k in other.facemotion.timeline_keys] == ["neutral", "happy", "anger"]
    assert len(face.facemotion.timeline_keys) == 6

    # One bake, two timelines: each head gets its own action with its own animation.
    assert bpy.ops.facemotion.bake_timeline(frame_start=1) == {"FINISHED"}
    actions = [obj.data.shape_keys.animation_data.action for obj in (face, other)]
    assert actions[0] != actions[1]
    for obj in (face, other):
        dense = dense_weights(scene, obj)
        curves = curves_of(obj)
        for column in (ARKIT_NAMES.index("mouthSmileLeft"), ARKIT_NAMES.index("browDownLeft")):
            fc = curves[keyframes.shape_key_data_path(ARKIT_NAMES[column])]
            got = np.array([fc.evaluate(1 + f) for f in range(len(dense))])
            np.testing.assert_allclose(got, dense[:, column], atol=1e-3)
    assert len(dense_weights(scene, face)) != len(dense_weights(scene, other))  # 6 s vs 2 s

    # A head without keys is skipped with a note; with none left the bake refuses.
    other.facemotion.timeline_keys.clear()
    assert bpy.ops.facemotion.bake_timeline(frame_start=1) == {"FINISHED"}
    assert "skipped Other: its timeline has no keys" in scene.facemotion.last_report
    # With the keyed face active, a selected part without keys (a head's eye or teeth object) follows its timeline.
    bpy.context.view_layer.objects.active = face
    assert bpy.ops.facemotion.bake_timeline(frame_start=1) == {"FINISHED"}
    assert "Other follows Face's timeline" in scene.facemotion.last_report
    path = keyframes.shape_key_data_path("eyeBlinkLeft")
    lead, part = curves_of(face)[path], curves_of(other)[path]
    np.testing.assert_allclose(
        [part.evaluate(f) for f in range(1, 145)], [lead.evaluate(f) for f in range(1, 145)], atol=1e-6
    )
    bpy.context.view_layer.objects.active = other
    face.facemotion.timeline_keys.clear()
    with pytest.raises(RuntimeError, match="poll"):
        bpy.ops.facemotion.bake_timeline()

    # The timelines are saved with the .blend.
    add_timeline_key(other, 0.0, "sadness", 0.5)
    add_timeline_key(face, 1.0, "surprise", easing="sine")
    face.facemotion.noise_amplitude = 0.02
    path = tmp_path / "two_heads.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.wm.open_mainfile(filepath=str(path))
    face, other = bpy.data.objects["Face"], bpy.data.objects["Other"]
    assert [(k.time, k.emotion, k.easing) for k in face.facemotion.timeline_keys] == [(1.0, "surprise", "sine")]
    assert face.facemotion.noise_amplitude == pytest.approx(0.02)
    assert [(k.emotion, round(k.intensity, 3)) for k in other.facemotion.timeline_keys] == [("sadness", 0.5)]
    assert other.facemotion.blinks is False


def test_add_timeline_key_keeps_order_and_transitions_and_refuses_bad_keys(face):
    from facemotion.facemotion_addon.settings.properties import add_timeline_key

    keys = face.facemotion.timeline_keys
    keys.clear()
    add_timeline_key(face, 0.0, "neutral")
    add_timeline_key(face, 2.0, "happy", transition=1.5)
    edit = add_timeline_key(face, 1.0, "sadness", 0.5, transition=3.0)
    assert [k.emotion for k in keys] == ["neutral", "sadness", "happy"] and edit.index == 1
    assert keys[1].transition == pytest.approx(1.0)  # cut to the gap since the previous key
    assert edit.shortened == pytest.approx(1.0) and keys[2].transition == pytest.approx(1.0)
    edit = add_timeline_key(face, 1.0, "anger", 0.8)
    assert not edit.added and len(keys) == 3 and keys[1].emotion == "anger"
    assert face.facemotion.active_key_index == 1
    for bad in (
        dict(time=-1.0),
        dict(time=float("nan")),
        dict(intensity=1.5),
        dict(easing="bounce"),
        dict(emotion="grumpy"),
    ):
        args = dict(time=4.0, emotion="happy", intensity=1.0, easing=None) | bad
        with pytest.raises(InputError):
            add_timeline_key(face, args["time"], args["emotion"], args["intensity"], easing=args["easing"])
    assert len(keys) == 3
