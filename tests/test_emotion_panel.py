# SPDX-License-Identifier: GPL-3.0-or-later
"""The Emotion Wheel sub-panel and its operators in the real bpy module: wheel expressions on a rigged face's shape
keys, expression presets, Add to Timeline and Apply Text on the object's timeline (then baked), the wheel picture's
preview pixels. The rigged face is test_addon_ui's small grid with 52 hand-made ARKit shape keys."""

import json

import bpy
import numpy as np
import pytest
from test_addon_ui import (  # noqa: F401
    RecordingLayout,
    context_for,
    draw_panel,
    labels_in,
    operators_in,
    props_in,
    registered,
    rigged_face,
    values,
)

from facemotion.core.animation.timeline import bake_timeline
from facemotion.core.emotion.presets import preset_weights
from facemotion.core.emotion.vocabulary import emotion_pose
from facemotion.core.emotion.wheel_image import wheel_image
from facemotion.facemotion_addon import wheel_preview
from facemotion.facemotion_addon.settings.properties import object_settings, timeline_settings


class WheelLayout(RecordingLayout):
    """test_addon_ui's checked recording layout, plus the two calls the wheel panel makes on top."""

    def _child(self, function, args, kwargs):
        self.log.append((function, self._check(function, args, kwargs)))
        return WheelLayout(self.log)

    def prop_enum(self, *args, **kwargs):
        given = self._check("prop_enum", args, kwargs)
        prop = given["data"].bl_rna.properties[given["property"]]
        assert given["value"] in prop.enum_items.keys()
        self.log.append(("prop_enum", given["property"], given["value"], given.get("text")))

    def template_icon(self, *args, **kwargs):
        self.log.append(("template_icon", self._check("template_icon", args, kwargs)))


def draw_wheel(context):
    return draw_panel(bpy.types.FACEMOTION_PT_emotion_wheel, context, WheelLayout)


@pytest.fixture
def presets_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("FACEMOTION_PRESETS", str(tmp_path))
    return tmp_path


def test_wheel_apply_poses_rings_dyads_and_pairs(rigged_face):
    props = bpy.context.scene.facemotion
    props.wheel_mode, props.wheel_primary, props.wheel_level, props.wheel_intensity = "PRIMARY", "anger", "1", 0.5
    assert bpy.ops.facemotion.wheel_apply() == {"FINISHED"}
    np.testing.assert_allclose(values(rigged_face), emotion_pose("annoyance", 0.5), atol=1e-6)
    props.wheel_level, props.wheel_intensity = "2", 1.0  # the basic ring is the timeline's "anger": the full preset
    bpy.ops.facemotion.wheel_apply()
    np.testing.assert_allclose(values(rigged_face), preset_weights("anger"), atol=1e-6)
    props.wheel_mode, props.wheel_dyad, props.wheel_mix, props.wheel_intensity = "DYAD", "awe", 0.7, 1.0
    bpy.ops.facemotion.wheel_apply()
    np.testing.assert_allclose(values(rigged_face), emotion_pose("awe", mix=0.7), atol=1e-6)
    props.wheel_mode, props.wheel_first, props.wheel_second, props.wheel_blend = "PAIR", "joy", "anger", "linear"
    bpy.ops.facemotion.wheel_apply()
    np.testing.assert_allclose(values(rigged_face), emotion_pose("joy+anger", mix=0.7, blend="linear"), atol=1e-6)
    assert "joy+anger (joy 70% dominant, linear)" in props.last_report
    props.wheel_second = "joy"  # a pair of one emotion twice: refused, pose unchanged
    before = values(rigged_face)
    with pytest.raises(RuntimeError, match="two different emotions"):
        bpy.ops.facemotion.wheel_apply()
    np.testing.assert_array_equal(values(rigged_face), before)


def test_wheel_keys_and_text_go_to_the_timeline_and_bake(rigged_face):
    scene, props = bpy.context.scene, bpy.context.scene.facemotion
    scene.render.fps, scene.frame_start = 24, 1
    props.wheel_mode, props.wheel_primary, props.wheel_level, props.wheel_intensity = "PRIMARY", "joy", "2", 1.0
    scene.frame_set(1)
    bpy.ops.facemotion.wheel_add_key()
    props.wheel_mode, props.wheel_dyad, props.wheel_mix, props.wheel_blend = "DYAD", "love", 0.8, "linear"
    scene.frame_set(25)
    bpy.ops.facemotion.wheel_add_key()
    keys = timeline_settings(rigged_face, scene)["keys"]
    assert [(k.time, k.emotion, k.intensity, k.blend) for k in keys] == [
        (0.0, "joy", 1.0, "correlation"),
        (1.0, "love", 1.0, "linear"),
    ]
    assert keys[1].mix == pytest.approx(0.8)
    frames = bake_timeline(keys, 24, blinks=False)
    # one meaning of "joy": the wheel's basic ring, the timeline key and the preset are the same face
    np.testing.assert_allclose(frames[0], emotion_pose("joy"), atol=1e-6)
    np.testing.assert_allclose(frames[0], preset_weights("joy"), atol=1e-6)
    np.testing.assert_allclose(frames[-1], emotion_pose("love", mix=0.8, blend="linear"), atol=1e-6)

    # Apply Text: a sentence without any emotion adds nothing and names the words it did not understand
    props.direction_text = "first hapy, then anoyed"
    with pytest.raises(RuntimeError, match=r"no emotion.*'anoyed' \(nearest known: annoyed"):
        bpy.ops.facemotion.apply_text()
    assert len(object_settings(rigged_face).timeline_keys) == 2
    # ... and one with an emotion adds its keys; the words it skipped are in the report (the panel's Last Result)
    props.direction_text = "start calm, then grow anoyed"
    assert bpy.ops.facemotion.apply_text(replace=True) == {"FINISHED"}
    assert [k.emotion for k in timeline_settings(rigged_face, scene)["keys"]] == ["neutral"]
    assert "skipped: 'anoyed' (nearest known: annoyed" in props.last_report
    props.direction_text = "start calm, grow annoyed, then burst into laughter and end hopeful"
    assert bpy.ops.facemotion.apply_text(replace=True) == {"FINISHED"}
    keys = timeline_settings(rigged_face, scene)["keys"]
    assert [(round(k.time, 3), k.emotion) for k in keys] == [
        (1.0, "neutral"),
        (4.0, "annoyance"),
        (5.2, "ecstasy"),
        (7.2, "hope"),
    ]
    assert bpy.ops.facemotion.bake_timeline() == {"FINISHED"}
    assert rigged_face.data.shape_keys.animation_data.action is not None


def test_expression_presets_round_trip(rigged_face, presets_dir):
    props = bpy.context.scene.facemotion
    props.wheel_mode, props.wheel_first, props.wheel_second, props.wheel_mix = "PAIR", "fear", "surprise", 0.65
    props.wheel_blend, props.wheel_intensity = "linear", 0.9
    assert bpy.ops.facemotion.wheel_save_preset(name="startled fear") == {"FINISHED"}
    doc = json.loads((presets_dir / "expression_startled fear.json").read_text())
    assert (doc["emotion"], doc["mix"], doc["blend"]) == ("fear+surprise", pytest.approx(0.65), "linear")
    np.testing.assert_allclose(
        list(doc["weights"].values()), emotion_pose("fear+surprise", 0.9, mix=0.65, blend="linear"), atol=1e-6
    )
    props.wheel_mode, props.wheel_mix, props.wheel_blend = "PRIMARY", 0.5, "correlation"
    assert bpy.ops.facemotion.wheel_load_preset(name="startled fear") == {"FINISHED"}
    assert (props.wheel_mode, props.wheel_first, props.wheel_second, props.wheel_blend) == (
        "PAIR",
        "fear",
        "surprise",
        "linear",
    )
    assert props.wheel_mix == pytest.approx(0.65) and props.wheel_intensity == pytest.approx(0.9)
    with pytest.raises(RuntimeError, match="no expression preset named 'missing'"):
        bpy.ops.facemotion.wheel_load_preset(name="missing")


def test_panel_draws_and_preview_shows_the_choice(rigged_face, presets_dir):
    props = bpy.context.scene.facemotion
    context = context_for(rigged_face, [rigged_face])
    props.wheel_mode, props.wheel_primary = "PRIMARY", "sadness"
    log = draw_wheel(context)
    rings = [entry[3] for entry in log if entry[0] == "prop_enum"]
    assert rings == ["Pensiveness", "Sadness", "Grief"]
    assert {
        "facemotion.wheel_apply",
        "facemotion.wheel_add_key",
        "facemotion.wheel_save_preset",
        "facemotion.apply_text",
    } <= set(operators_in(log))
    assert [e for e in log if e[0] == "template_icon"]
    props.wheel_mode, props.wheel_dyad, props.wheel_mix = "DYAD", "remorse", 0.6
    log = draw_wheel(context)
    assert "remorse: dominant sadness 60%, second disgust 40%" in labels_in(log)
    assert {"wheel_mix", "wheel_blend", "wheel_dyad"} <= {name for _, name in props_in(log)}
    # the preview holds the wheel picture of the current choice (stored at 8 bits per channel)
    preview = wheel_preview.wheel_preview("remorse", 0.6)
    assert tuple(preview.image_size) == (wheel_preview.PREVIEW_SIZE,) * 2
    pixels = np.empty(len(preview.image_pixels_float), np.float32)
    preview.image_pixels_float.foreach_get(pixels)
    np.testing.assert_allclose(pixels, wheel_image(wheel_preview.PREVIEW_SIZE, "remorse", 0.6).ravel(), atol=2 / 255)
    assert not np.allclose(wheel_image(64, "remorse", 0.6), wheel_image(64, "grief"))
    wheel_preview.clear()
    wheel_preview.clear()


def test_wheel_image_highlights():
    plain, joy = wheel_image(64), wheel_image(64, "ecstasy")
    assert plain.shape == (64, 64, 4) and plain.dtype == np.float32
    assert plain[32, 0, 3] == 0.0 and plain[32, 32, 3] == 1.0  # transparent corners, opaque wheel
    # ecstasy = joy's inner ring, at the top (row 0 is the bottom): kept bright, the rest dimmed
    top_inner = (44, 32)
    np.testing.assert_allclose(joy[top_inner], plain[top_inner], atol=1e-6)
    assert np.abs(joy[20, 32, :3] - plain[20, 32, :3]).max() > 0.1
    with pytest.raises(Exception, match="nearest known"):
        wheel_image(64, "ecstacy")
