"""Emotion recognition end to end on real data: the astronaut photo (as it is, grey, 16-bit, tiny, twice in one
image), a real MJPG video written from it, the emotion track turned into timeline keys, and the Blender side (the
three operators in the bpy module, the Recognize panel drawn against the recording UILayout of test_addon_ui.py).

The classifier is the shipped model (models/emotion_classifier.onnx, built by tools/train_emotion.py); where a test
asserts a label, it is one the model must get right (a smiling photo, a full smile or surprise on the ICT head).
:func:`write_tiny_model` writes small real models with mismatched metadata, which must be refused.
"""

import json
from pathlib import Path

import bpy
import cv2
import numpy as np
import pytest
from test_addon_ui import (
    _UI,
    RecordingLayout,
    add_arkit_keys,
    context_for,
    draw_panel,
    labels_in,
    operator_rna,
    operators_in,
    props_in,
    select_only,
)

import facemotion
from facemotion.core.animation.timeline import EmotionKey, validate_keys
from facemotion.core.animation.track_keys import keys_after, track_to_timeline_keys
from facemotion.core.arkit import ARKIT_INDEX
from facemotion.core.detect.landmarks import FaceLandmarkDetector
from facemotion.core.emotion import classifier as emotion_classifier
from facemotion.core.emotion.classifier import DEFAULT_MODEL_PATH, EmotionClassifier
from facemotion.core.emotion.features import PARTS, FeatureSpec
from facemotion.core.emotion.presets import CATEGORIES
from facemotion.core.emotion.recognition import (
    IMAGE_SUFFIXES,
    MESH_RENDER_SIZE,
    TrackSample,
    face_camera,
    iter_images,
    recognize_file,
    recognize_image,
    recognize_mesh,
    summarize_track,
    video_emotion_track,
)
from facemotion.core.errors import InputError
from facemotion.core.io.assets import asset_path
from facemotion.core.io.image_io import load_image
from facemotion.facemotion_addon import pipeline, rigging
from facemotion.facemotion_addon.bridge import evaluated_world_mesh, mesh_arrays
from facemotion.facemotion_addon.settings.properties import recognized_probabilities, timeline_settings
from facemotion.operators.base import JobRunner
from facemotion.operators.rig import DetectLandmarksJob

PHOTO = "faces/astronaut.png"
VIDEO_FPS = 10.0


# ------------------------------------------------------------------------------------------------------ the model


def write_tiny_model(path, *, parts=("distances",), spec=None, labels=None):
    """A small real ONNX emotion model: scikit-learn logistic regression on random features of ``parts``, exported by
    the training tool's own writer (tools/train_emotion.py ``to_onnx_bytes``: skl2onnx, float32, no ZipMap, with
    facemotion's metadata). ``spec`` (a FeatureSpec other than ``parts``') or ``labels`` (a label list) write
    mismatched metadata. Returns ``path``."""
    import onnx
    import train_emotion
    from sklearn.linear_model import LogisticRegression

    width = FeatureSpec(parts=tuple(parts)).size
    rng = np.random.default_rng(0)
    x = rng.normal(size=(160, width)).astype(np.float32)
    y = np.arange(160) % len(CATEGORIES)
    model = LogisticRegression(max_iter=300).fit(x, y)
    data = train_emotion.to_onnx_bytes(
        model, width, spec or FeatureSpec(parts=tuple(parts)), {"data": "random features, for tests"}
    )
    if labels is not None:
        onx = onnx.load_from_string(data)
        props = {entry.key: entry.value for entry in onx.metadata_props}
        onnx.helper.set_model_props(onx, {**props, "facemotion_labels": json.dumps(list(labels))})
        data = onx.SerializeToString()
    Path(path).write_bytes(data)
    return Path(path)


@pytest.fixture(scope="session")
def classifier():
    """The shipped model, loaded once for the session."""
    assert DEFAULT_MODEL_PATH.is_file(), f"{DEFAULT_MODEL_PATH} is missing: build it with tools/train_emotion.py"
    return EmotionClassifier(DEFAULT_MODEL_PATH)


@pytest.fixture
def shared_classifier(classifier, monkeypatch):
    """Make ``default_classifier()`` and ``default_fused_classifier()`` (what the operators use) return the test's
    classifier, fused with the shipped appearance channel; returns the fused one."""
    fused = emotion_classifier.FusedEmotionClassifier(classifier)
    monkeypatch.setattr(emotion_classifier, "_default", classifier)
    monkeypatch.setattr(emotion_classifier, "_default_fused", fused)
    return fused


@pytest.fixture(scope="session")
def photo():
    return load_image(asset_path(PHOTO))


def two_faces(photo):
    """The photo with a half-size copy to its right on a white canvas: ``(512, 768, 3) uint8``."""
    half = cv2.resize(photo, (photo.shape[1] // 2, photo.shape[0] // 2), interpolation=cv2.INTER_AREA)
    canvas = np.full((photo.shape[0], photo.shape[1] + half.shape[1], 3), 255, np.uint8)
    canvas[:, : photo.shape[1]] = photo
    top = (photo.shape[0] - half.shape[0]) // 2
    canvas[top : top + half.shape[0], photo.shape[1] :] = half
    return canvas


def check_result(result, image_shape):
    """What every EmotionResult must satisfy."""
    assert result.label in CATEGORIES
    assert list(result.probabilities) == list(CATEGORIES)
    probabilities = np.array(list(result.probabilities.values()))
    assert np.all(probabilities >= 0) and probabilities.sum() == pytest.approx(1.0, abs=1e-4)
    assert result.label == max(result.probabilities, key=result.probabilities.get)
    assert result.intensity == pytest.approx(1.0 - result.probabilities["neutral"], abs=1e-5)
    x0, y0, x1, y1 = result.face.bbox
    h, w = image_shape[:2]
    assert -0.05 * w < x0 < x1 < 1.05 * w and -0.05 * h < y0 < y1 < 1.05 * h


# --------------------------------------------------------------------------------------------------------- images


def test_the_photo_has_one_face_with_eight_probabilities(classifier, photo):
    (result,) = recognize_file(asset_path(PHOTO), classifier=classifier)
    check_result(result, photo.shape)
    x0, y0, x1, y1 = result.face.bbox
    assert 150 < (x0 + x1) / 2 < 300 and 60 < (y0 + y1) / 2 < 200  # the astronaut's face, upper middle
    # A real photo of a smiling person: the trained model must not call it a negative emotion.
    assert result.label in ("happy", "neutral"), result.probabilities


def test_grey_16bit_and_tiny_copies_are_recognised(classifier, photo):
    (colour,) = recognize_image(photo, classifier=classifier)
    (sixteen,) = recognize_image(photo.astype(np.uint16) * 257, classifier=classifier)
    assert sixteen.probabilities == colour.probabilities  # exactly the same pixels after /257
    grey_image = cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY)
    (grey,) = recognize_image(grey_image, classifier=classifier)
    check_result(grey, grey_image.shape)
    assert np.allclose(grey.face.bbox, colour.face.bbox, atol=6)
    tiny_image = cv2.resize(photo, (64, 64), interpolation=cv2.INTER_AREA)  # the face is ~11 px wide
    (tiny,) = recognize_image(tiny_image, classifier=classifier)
    check_result(tiny, tiny_image.shape)
    assert np.allclose(np.array(tiny.face.bbox) * 8, colour.face.bbox, atol=16)


def test_several_faces_are_classified_largest_first(classifier, photo):
    image = two_faces(photo)
    results = recognize_image(image, classifier=classifier)
    assert len(results) == 2
    for result in results:
        check_result(result, image.shape)
    big, small = (result.face for result in results)
    assert big.area > small.area
    assert 2.5 < big.area / small.area < 6.5  # a half-size copy: a quarter of the area
    assert big.bbox[2] < photo.shape[1] <= small.bbox[0]  # the large face is the original, the small one the copy


def test_no_face_gives_an_empty_list(classifier):
    assert recognize_image(np.full((300, 400, 3), 128, np.uint8), classifier=classifier) == []


def test_bad_arrays_and_files_raise_input_errors(classifier, tmp_path):
    with pytest.raises(InputError, match="empty"):
        recognize_image(np.zeros((0, 10, 3), np.uint8), classifier=classifier)
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot a png")
    with pytest.raises(InputError, match="broken.png"):
        recognize_file(tmp_path / "broken.png", classifier=classifier)
    with pytest.raises(InputError, match="missing.png"):
        recognize_file(tmp_path / "missing.png", classifier=classifier)


def test_iter_images_walks_folders_sorted_by_suffix_and_skips_hidden(tmp_path):
    for name in (
        "b.png",
        "a.JPG",
        "sub/z.tif",
        "sub/deeper/y.webp",
        "c.txt",
        ".hidden.png",
        ".cache/x.png",
        "a_dir/m.bmp",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    found = [p.relative_to(tmp_path).as_posix() for p in iter_images(tmp_path)]
    assert found == ["a.JPG", "a_dir/m.bmp", "b.png", "sub/deeper/y.webp", "sub/z.tif"]
    assert iter_images(tmp_path / "c.txt") == [tmp_path / "c.txt"]  # a file given explicitly is taken as is
    assert ".png" in IMAGE_SUFFIXES and ".tiff" in IMAGE_SUFFIXES
    with pytest.raises(InputError, match="no such file or folder"):
        iter_images(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no image files"):
        iter_images(tmp_path / "empty")


def test_mismatched_model_metadata_is_refused_naming_both(tmp_path):
    wrong_spec = write_tiny_model(tmp_path / "spec.onnx", spec=FeatureSpec(parts=("blendshapes",)))
    with pytest.raises(InputError) as error:
        EmotionClassifier(wrong_spec)
    message = str(error.value)
    assert "spec.onnx" in message and "52" in message and "23" in message and "\n" not in message
    wrong_labels = write_tiny_model(tmp_path / "labels.onnx", labels=("calm",) + CATEGORIES[1:])
    with pytest.raises(InputError, match="calm") as error:
        EmotionClassifier(wrong_labels)
    assert "neutral" in str(error.value)


# ----------------------------------------------------------------------------------------------------------- mesh


@pytest.fixture(scope="module")
def ict_head():
    """ICT-FaceKit's template (its own 52 ARKit expression deltas: no rigging needed) and MediaPipe's landmarks
    detected on its neutral skin."""
    from emotion_data import ICT_SCLERA_SHELLS

    from facemotion.core.detect.mesh_landmarks import detect_mesh_landmarks
    from facemotion.core.rig.template import load_ict_template

    template = load_ict_template()
    # The transparent outer eye shells (cornea/sclera) would show as blank eyes: left out, as a user's viewport
    # shows them (PLATFORM.md; the training renders of tools/emotion_data.py hide the same vertex ranges).
    hidden = np.zeros(len(template.vertices), bool)
    for start, stop in ICT_SCLERA_SHELLS:
        hidden[start:stop] = True
    triangles = template.triangles[~hidden[template.triangles].any(axis=1)]
    found = detect_mesh_landmarks(template.vertices, triangles)
    return template, triangles, found.points


def test_face_camera_looks_at_the_face_upright_and_refuses_mirrored_landmarks(ict_head):
    template, _, landmarks = ict_head
    camera = face_camera(landmarks)
    assert camera.size == (MESH_RENDER_SIZE, MESH_RENDER_SIZE)
    assert np.allclose(camera.rotation @ camera.rotation.T, np.eye(3)) and np.linalg.det(camera.rotation) > 0
    # ICT's head looks along +z with +y up: the camera must look along -z from the front.
    assert camera.view_dir @ np.array([0.0, 0.0, -1.0]) > 0.99 and camera.rotation[1] @ [0.0, 1.0, 0.0] > 0.98
    pixels, _ = camera.project(landmarks)
    assert np.ptp(pixels, axis=0).max() == pytest.approx(0.6 * MESH_RENDER_SIZE, rel=1e-6)  # the face fills 60 %
    mirrored = landmarks * np.array([-1.0, 1.0, 1.0])
    assert face_camera(mirrored) is None
    with pytest.raises(InputError, match="478"):
        face_camera(landmarks[:468])


@pytest.mark.parametrize("emotion", ["happy", "surprise"])
def test_recognize_mesh_judges_a_posed_head(ict_head, classifier, emotion):
    from facemotion.core.arkit import ARKIT_NAMES
    from facemotion.core.emotion.presets import preset_weights

    template, triangles, landmarks = ict_head
    weights = preset_weights(emotion, 1.0)
    deltas = template.deltas.reshape(len(ARKIT_NAMES), -1)
    posed = template.vertices + (weights.astype(np.float64) @ deltas).reshape(-1, 3)
    found = recognize_mesh(posed, triangles, landmarks=landmarks, classifier=classifier)
    assert found.landmarks_from == "given" and found.image.shape == (MESH_RENDER_SIZE, MESH_RENDER_SIZE, 3)
    (result,) = found.results
    check_result(result, found.image.shape)
    assert result.label == emotion, result.probabilities


@pytest.fixture(scope="session")
def relative_classifier():
    """The shipped relative model (each pose against the rest pose)."""
    from facemotion.core.emotion.classifier import RELATIVE_MODEL_PATH

    assert RELATIVE_MODEL_PATH.is_file(), f"{RELATIVE_MODEL_PATH} is missing: build it with tools/train_emotion.py"
    return EmotionClassifier(RELATIVE_MODEL_PATH)


@pytest.mark.parametrize("emotion", ["sad", "anger", "neutral"])
def test_recognize_mesh_judges_a_pose_against_the_rest_pose(ict_head, relative_classifier, emotion):
    from facemotion.core.arkit import ARKIT_NAMES
    from facemotion.core.emotion.presets import preset_weights

    template, triangles, landmarks = ict_head
    weights = preset_weights(emotion, 0.5)  # a half-strength preset
    posed = template.vertices + (weights.astype(np.float64) @ template.deltas.reshape(len(ARKIT_NAMES), -1)).reshape(
        -1, 3
    )
    found = recognize_mesh(
        posed, triangles, rest_vertices=template.vertices, landmarks=landmarks, classifier=relative_classifier
    )
    assert found.reference == "rest pose"
    (result,) = found.results
    assert result.label == emotion, result.probabilities
    spec = relative_classifier.spec
    assert relative_classifier.needs_reference and spec.size == len(spec.names()) == sum(
        PARTS[p] for p in (*spec.parts, *spec.delta_parts)
    )


def test_relative_model_needs_the_rest_pose_and_refuses_single_images(ict_head, relative_classifier, photo):
    template, triangles, landmarks = ict_head
    with pytest.raises(InputError, match="rest_vertices"):
        recognize_mesh(template.vertices, triangles, landmarks=landmarks, classifier=relative_classifier)
    with pytest.raises(InputError, match="rest pose has"):
        recognize_mesh(template.vertices, triangles, rest_vertices=template.vertices[:-1], landmarks=landmarks)
    with pytest.raises(InputError, match="no reference"):
        recognize_image(photo, classifier=relative_classifier)
    # A rest pose with no face on its render (here: the mesh pushed out of the camera's view): judged alone.
    found = recognize_mesh(template.vertices, triangles, rest_vertices=template.vertices + 10.0, landmarks=landmarks)
    assert found.reference is None and found.results


# ---------------------------------------------------------------------------------------------------------- video


def write_video(path, frames, fps=VIDEO_FPS):
    """An MJPG .avi of RGB frames (all one size), written with OpenCV."""
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    assert writer.isOpened()
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


@pytest.fixture(scope="module")
def face_then_blank_video(tmp_path_factory, photo):
    """12 frames of the photo (256 px), then 8 blank frames, at 10 fps: faces at 0.0-1.1 s, none from 1.2 s."""
    small = cv2.resize(photo, (256, 256), interpolation=cv2.INTER_AREA)
    blank = np.full_like(small, 200)
    return write_video(tmp_path_factory.mktemp("video") / "face_then_blank.avi", [small] * 12 + [blank] * 8)


def test_video_track_samples_every_nth_frame_with_nulls_without_a_face(classifier, face_then_blank_video):
    calls = []
    track = video_emotion_track(
        face_then_blank_video,
        every_n=4,
        classifier=classifier,
        progress=lambda fraction, message: calls.append(fraction),
    )
    assert [sample.time for sample in track] == pytest.approx([0.0, 0.4, 0.8, 1.2, 1.6])  # frames 0, 4, ... 16
    assert all(isinstance(sample, TrackSample) for sample in track)
    faced, faceless = track[:3], track[3:]
    assert [sample.frame for sample in track] == [0, 4, 8, 12, 16]
    assert not any(sample.reference for sample in track)  # the model without reference judged each frame alone
    for _, label, intensity, probabilities, _, _, uncertain in faced:
        assert label in CATEGORIES and list(probabilities) == list(CATEGORIES) and isinstance(uncertain, bool)
        assert intensity == pytest.approx(1.0 - probabilities["neutral"], abs=1e-5)
    assert len({sample.label for sample in faced}) == 1  # the same photo: the same class
    assert all(sample[1:4] == (None, None, None) and not sample.uncertain for sample in faceless)
    assert calls and calls[-1] == 1.0 and calls == sorted(calls)
    summary = summarize_track(track)
    assert (summary.face_frames, summary.frames, summary.label) == (3, 5, faced[0].label)

    keys = track_to_timeline_keys(track, min_hold=0.0)
    assert [(key.time, key.emotion) for key in keys] == [(0.0, faced[0].label)]
    validate_keys(keys)


def test_unreadable_videos_raise_one_clear_line(classifier, tmp_path):
    (tmp_path / "text.avi").write_text("this is not a video\n")
    for path, words in (
        (tmp_path / "text.avi", ["text.avi", "not a video"]),
        (tmp_path / "missing.mp4", ["missing.mp4", "does not exist"]),
        (tmp_path, ["not a file"]),
    ):
        with pytest.raises(InputError) as error:
            video_emotion_track(path, classifier=classifier)
        assert all(word in str(error.value) for word in words) and "\n" not in str(error.value)
    with pytest.raises(InputError, match="every_n"):
        video_emotion_track(tmp_path / "text.avi", every_n=0, classifier=classifier)


# ----------------------------------------------------------------------------------------------- track -> timeline


def sample(time, label, intensity=0.8):
    probabilities = None if label is None else {name: float(name == label) for name in CATEGORIES}
    return TrackSample(time, label, None if label is None else intensity, probabilities)


def test_track_to_timeline_keys_merges_runs_and_drops_flicker():
    track = (
        [sample(t / 10, "happy", 0.6 + 0.2 * (t % 2)) for t in range(0, 20)]  # 0.0-1.9 s happy
        + [sample(2.0, "sad")]  # one-sample flicker
        + [sample(t / 10, "happy", 0.8) for t in range(21, 30)]  # happy again
        + [sample(t / 10, None) for t in range(30, 40)]  # face lost: happy holds
        + [sample(t / 10, "surprise", 1.0) for t in range(40, 46)]  # 4.0-4.5 s
        + [sample(t / 10, "anger", 0.5) for t in range(46, 48)]
    )  # 4.6-4.7 s: short, absorbed
    keys = track_to_timeline_keys(track, min_hold=0.5)
    assert [(key.time, key.emotion) for key in keys] == [(0.0, "happy"), (4.0, "surprise")]
    assert keys[0].intensity == pytest.approx((10 * 0.6 + 10 * 0.8 + 9 * 0.8) / 29)
    assert keys[1].intensity == pytest.approx(1.0)
    assert keys[1].transition == 0.5
    validate_keys(keys)

    every_change = track_to_timeline_keys(track, min_hold=0.0)
    assert [key.emotion for key in every_change] == ["happy", "sad", "happy", "surprise", "anger"]
    assert [key.time for key in every_change] == pytest.approx([0.0, 2.0, 2.1, 4.0, 4.6])
    # Transitions shrink to fit the gaps, so the keys are valid for the bake.
    assert every_change[2].transition == pytest.approx(0.1) and every_change[1].transition == pytest.approx(0.5)
    validate_keys(every_change)


def test_uncertain_frames_key_no_emotion():
    """An uncertain frame is skipped like a frame without a face: the emotion before it holds."""
    track = (
        [sample(t / 10, "happy") for t in range(0, 10)]
        + [sample(t / 10, "anger")._replace(uncertain=True) for t in range(10, 20)]
        + [sample(t / 10, "sad") for t in range(20, 30)]
    )
    keys = track_to_timeline_keys(track, min_hold=0.5)
    assert [(key.time, key.emotion) for key in keys] == [(0.0, "happy"), (2.0, "sad")]
    with pytest.raises(InputError, match="uncertain"):
        track_to_timeline_keys([sample(0.0, "anger")._replace(uncertain=True), sample(0.5, None)])
    # The whole track's verdict: uncertain when the mean's top class is not clearly ahead, or when no certain frame
    # read it (no key says it), however far ahead it is.
    assert summarize_track(track).uncertain  # happy, anger, sad: a third each
    mostly = [sample(t / 10, "happy") for t in range(0, 8)] + [sample(t / 10, "anger") for t in range(8, 10)]
    assert summarize_track(mostly).label == "happy" and not summarize_track(mostly).uncertain
    flagged = [s._replace(uncertain=s.label == "happy") for s in mostly]
    assert summarize_track(flagged).label == "happy" and summarize_track(flagged).uncertain


def test_track_to_timeline_keys_keeps_the_longer_runs_of_an_alternating_track():
    # happy 0.3 s, sad 0.3 s, happy 1.0 s, sad 0.3 s, ...: the short runs go, the long ones stay.
    labels = ["happy"] * 3 + ["sad"] * 3 + ["happy"] * 10 + ["sad"] * 3 + ["fear"] * 10
    keys = track_to_timeline_keys([sample(i / 10, label) for i, label in enumerate(labels)], min_hold=0.5)
    assert [key.emotion for key in keys] == ["happy", "fear"]
    assert keys[1].time == pytest.approx(1.9)
    validate_keys(keys)


def test_track_to_timeline_keys_refuses_bad_tracks():
    with pytest.raises(InputError, match="no face"):
        track_to_timeline_keys([sample(0.0, None), sample(0.5, None)])
    with pytest.raises(InputError, match="increasing"):
        track_to_timeline_keys([sample(1.0, "happy"), sample(0.5, "sad")])
    with pytest.raises(InputError, match="grumpy"):
        track_to_timeline_keys([(0.0, "grumpy", 0.5, None)])
    with pytest.raises(InputError, match="min_hold"):
        track_to_timeline_keys([sample(0.0, "happy")], min_hold=-1)


def test_keys_after_appends_behind_the_last_key():
    existing = [EmotionKey(0.0, "neutral"), EmotionKey(2.0, "happy")]
    track_keys = [EmotionKey(1.0, "sad", transition=0.5), EmotionKey(3.0, "fear", transition=0.5)]
    moved = keys_after(track_keys, 2.0, gap=0.25)
    assert [(key.time, key.emotion, key.transition) for key in moved] == [(2.25, "sad", 0.25), (4.25, "fear", 0.5)]
    validate_keys(existing + moved)
    assert track_keys[0].time == 1.0  # the originals are untouched
    with pytest.raises(InputError, match="gap"):
        keys_after(track_keys, 2.0, gap=0.0)


# --------------------------------------------------------------------------------------------------------- Blender

RECOGNIZE_OPERATORS = ("detect_emotion_image", "detect_emotion_video", "detect_emotion_pose")


@pytest.fixture
def registered():
    bpy.ops.wm.read_factory_settings(use_empty=True)
    facemotion.register()
    yield bpy.context.scene.facemotion
    facemotion.unregister()
    bpy.ops.wm.read_factory_settings(use_empty=True)


def test_recognize_operators_and_panel_are_registered(registered):
    for name in RECOGNIZE_OPERATORS:
        assert operator_rna(f"facemotion.{name}").identifier == f"FACEMOTION_OT_{name}"
        assert {"REGISTER", "UNDO"} <= getattr(bpy.types, f"FACEMOTION_OT_{name}").bl_options
    panel = bpy.types.FACEMOTION_PT_recognize
    assert (panel.bl_space_type, panel.bl_region_type, panel.bl_category) == ("VIEW_3D", "UI", "Facemotion")
    assert registered.recognized_label == "" and len(registered.recognized_probabilities) == len(CATEGORIES)


def test_image_operator_recognises_the_photo_file_and_the_blender_image(registered, shared_classifier):
    (expected,) = recognize_file(
        asset_path(PHOTO), detector=FaceLandmarkDetector(max_faces=1), classifier=shared_classifier
    )
    assert bpy.ops.facemotion.detect_emotion_image(filepath=str(asset_path(PHOTO))) == {"FINISHED"}
    props = registered
    assert props.recognized_label == expected.label and props.recognized_uncertain == expected.uncertain
    assert props.recognized_intensity == pytest.approx(expected.intensity, abs=1e-5)
    got = recognized_probabilities(bpy.context.scene)
    assert list(got) == list(CATEGORIES)
    assert np.allclose(list(got.values()), [expected.probabilities[name] for name in CATEGORIES], atol=1e-5)
    assert (props.recognized_source, props.recognized_faces) == ("astronaut.png", 1)
    assert props.last_report.startswith(f"astronaut.png: {expected.label}")

    # The same photo as a Blender image data-block gives the same result.
    props.recognized_label = ""
    props.recognize_image = bpy.data.images.load(str(asset_path(PHOTO)))
    assert bpy.ops.facemotion.detect_emotion_image(source="IMAGE") == {"FINISHED"}
    assert props.recognized_label == expected.label
    assert np.allclose(
        list(recognized_probabilities(bpy.context.scene).values()),
        [expected.probabilities[name] for name in CATEGORIES],
        atol=1e-5,
    )


def test_image_operator_reports_errors_and_keeps_the_last_result(registered, shared_classifier, tmp_path):
    assert bpy.ops.facemotion.detect_emotion_image(filepath=str(asset_path(PHOTO))) == {"FINISHED"}
    before = (registered.recognized_label, registered.recognized_source)
    cv2.imwrite(str(tmp_path / "blank.png"), np.full((200, 200, 3), 90, np.uint8))
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    for path in (tmp_path / "blank.png", tmp_path / "broken.jpg", tmp_path / "missing.png"):
        with pytest.raises(RuntimeError, match=path.name):  # bpy.ops raises the operator's error report
            bpy.ops.facemotion.detect_emotion_image(filepath=str(path))
    with pytest.raises(RuntimeError, match="choose a Blender image"):
        bpy.ops.facemotion.detect_emotion_image(source="IMAGE")
    missing = bpy.data.images.load(str(asset_path(PHOTO)))
    missing.filepath = str(tmp_path / "gone.png")
    missing.reload()
    registered.recognize_image = missing
    with pytest.raises(RuntimeError, match="has no pixels"):
        bpy.ops.facemotion.detect_emotion_image(source="IMAGE")
    assert (registered.recognized_label, registered.recognized_source) == before


@pytest.fixture
def timeline_face(registered):
    """A small rigged grid (test_addon_ui's 52 hand-made ARKit keys), selected and active: the timeline's owner."""
    from test_addon_ui import grid_object, select_only

    obj = grid_object()
    add_arkit_keys(obj)
    select_only(obj)
    return obj


def test_video_operator_writes_the_track_into_the_timeline(
    registered, shared_classifier, face_then_blank_video, timeline_face
):
    props = registered
    timeline = timeline_face.facemotion
    props.recognize_every_n, props.recognize_min_hold = 4, 0.0
    assert bpy.ops.facemotion.detect_emotion_video(filepath=str(face_then_blank_video)) == {"FINISHED"}
    track = video_emotion_track(face_then_blank_video, every_n=4)  # judged against its calm frames, as the panel
    expected = track_to_timeline_keys(track, min_hold=0.0)
    assert [(k.time, k.emotion) for k in timeline.timeline_keys] == [(k.time, k.emotion) for k in expected]
    assert "of Face:" in props.last_report
    assert props.recognized_label == expected[0].emotion and "3/5 frames" in props.recognized_source

    # Not replacing: appended after the last key (0.5 s later); the timeline stays valid for the bake.
    bpy.ops.facemotion.timeline_demo_keys()
    last = max(item.time for item in timeline.timeline_keys)
    count = len(timeline.timeline_keys)
    assert bpy.ops.facemotion.detect_emotion_video(filepath=str(face_then_blank_video)) == {"FINISHED"}
    assert len(timeline.timeline_keys) == count + len(expected)
    assert timeline.timeline_keys[count].time == pytest.approx(last + 0.5)
    validate_keys(timeline_settings(timeline_face, bpy.context.scene)["keys"])

    props.recognize_replace_keys = True
    assert bpy.ops.facemotion.detect_emotion_video(filepath=str(face_then_blank_video)) == {"FINISHED"}
    assert [(k.time, k.emotion) for k in timeline.timeline_keys] == [(k.time, k.emotion) for k in expected]


def test_video_operator_refuses_unreadable_videos_and_leaves_the_timeline(
    registered, shared_classifier, tmp_path, timeline_face
):
    timeline = timeline_face.facemotion
    bpy.ops.facemotion.timeline_demo_keys()
    before = [(k.time, k.emotion) for k in timeline.timeline_keys]
    (tmp_path / "clip.mp4").write_text("not a video")
    with pytest.raises(RuntimeError, match="clip.mp4"):
        bpy.ops.facemotion.detect_emotion_video(filepath=str(tmp_path / "clip.mp4"))
    blank = write_video(tmp_path / "blank.avi", [np.full((128, 128, 3), 200, np.uint8)] * 6)
    with pytest.raises(RuntimeError, match="no face"):
        bpy.ops.facemotion.detect_emotion_video(filepath=str(blank))
    assert [(k.time, k.emotion) for k in timeline.timeline_keys] == before
    # A chosen reference range without a face in it: refused, the timeline untouched.
    props = bpy.context.scene.facemotion
    props.recognize_reference, props.recognize_reference_first, props.recognize_reference_last = "RANGE", 40, 50
    video = write_video(tmp_path / "face.avi", [cv2.resize(load_image(asset_path(PHOTO)), (256, 256))] * 6)
    with pytest.raises(RuntimeError, match="no face was found in the chosen reference frames 40-50"):
        bpy.ops.facemotion.detect_emotion_video(filepath=str(video))
    assert [(k.time, k.emotion) for k in timeline.timeline_keys] == before
    props.recognize_reference = "CALM"
    # No rigged face selected: no timeline to write into, refused before the video is read.
    timeline_face.select_set(False)
    bpy.context.view_layer.objects.active = None
    with pytest.raises(RuntimeError, match="select the rigged face whose timeline"):
        bpy.ops.facemotion.detect_emotion_video(filepath=str(blank))


@pytest.fixture
def canonical_face(registered):
    """MediaPipe's canonical face mesh with 52 hand-made ARKit shape keys (test_addon_ui's), selected."""
    (obj,) = pipeline.load_mesh(asset_path("mediapipe/face_geometry/canonical_face_model.obj"))
    add_arkit_keys(obj)
    select_only(obj)
    return obj


def test_evaluated_world_mesh_carries_the_shape_key_pose(canonical_face):
    rest, triangles, _ = mesh_arrays(canonical_face)
    canonical_face.data.shape_keys.key_blocks["jawOpen"].value = 1.0
    vertices, tris = evaluated_world_mesh([canonical_face], bpy.context.evaluated_depsgraph_get())
    assert np.array_equal(tris, triangles)
    moved = np.flatnonzero(np.linalg.norm(vertices - rest, axis=1) > 1e-7)
    k = ARKIT_INDEX["jawOpen"]
    assert moved.tolist() == [k % len(rest)]  # test_addon_ui's keys move vertex k by 1 cm * (k + 1) / 52
    assert np.linalg.norm(vertices[moved[0]] - rest[moved[0]]) == pytest.approx(0.01 * (k + 1) / 52, rel=1e-4)


def test_pose_operator_renders_the_evaluated_pose_and_classifies_it(canonical_face, shared_classifier):
    props = bpy.context.scene.facemotion
    # Without a landmark object the face is found on the evaluated mesh.
    assert bpy.ops.facemotion.detect_emotion_pose() == {"FINISHED"}
    # No modifier: judged against the Basis (the relative model).
    assert props.recognized_label in CATEGORIES
    assert props.recognized_source == f"pose of {canonical_face.name} (against its rest pose)"
    first = recognized_probabilities(bpy.context.scene)
    assert sum(first.values()) == pytest.approx(1.0, abs=1e-4)

    # With the rig's landmark object the frontal view comes from it; the same neutral face, nearly the same result.
    job = DetectLandmarksJob([canonical_face])
    JobRunner(job).run_to_end(bpy.context)
    marks = job.landmark_object
    assert face_camera(rigging.read_landmark_object(marks)) is not None  # that path is taken
    props.recognized_label = ""
    assert bpy.ops.facemotion.detect_emotion_pose() == {"FINISHED"}
    assert "pose of" in props.recognized_source and props.recognized_label in CATEGORIES
    second = recognized_probabilities(bpy.context.scene)
    assert max(abs(first[name] - second[name]) for name in CATEGORIES) < 0.25

    # A Subdivision Surface changes the vertices: no rest pose stands beside the pose, it is judged alone.
    canonical_face.modifiers.new("Subdivision", "SUBSURF")
    assert bpy.ops.facemotion.detect_emotion_pose() == {"FINISHED"}
    assert props.recognized_source.endswith("alone (no rest pose beside it))")

    bpy.ops.object.select_all(action="DESELECT")
    assert not bpy.ops.facemotion.detect_emotion_pose.poll()


# ---------------------------------------------------------------------------------------------------------- panel


class ProgressLayout(RecordingLayout):
    """test_addon_ui's recording layout plus ``progress`` (UILayout.progress, Blender 4.0+), checked the same way."""

    def _child(self, function, args, kwargs):
        self.log.append((function, self._check(function, args, kwargs)))
        return ProgressLayout(self.log)

    def progress(self, *args, **kwargs):
        given = self._check("progress", args, kwargs)
        if "type" in given:
            assert given["type"] in _UI.functions["progress"].parameters["type"].enum_items.keys()
        assert 0.0 <= given.get("factor", 0.0) <= 1.0
        self.log.append(("progress", given))


def draw_recognize_panel(context):
    return draw_panel(bpy.types.FACEMOTION_PT_recognize, context, ProgressLayout)


def test_panel_draws_the_inputs_and_one_probability_bar_per_class(registered, shared_classifier):
    context = context_for()
    log = draw_recognize_panel(context)
    assert operators_in(log) == [
        "facemotion.detect_emotion_image",
        "facemotion.detect_emotion_image",
        "facemotion.detect_emotion_video",
        "facemotion.detect_emotion_pose",
    ]
    assert ("operator_property", "source", "FILE") in log and ("operator_property", "source", "IMAGE") in log
    assert {
        "recognize_image",
        "recognize_every_n",
        "recognize_min_hold",
        "recognize_reference",
        "recognize_replace_keys",
    } <= {name for _, name in props_in(log)}
    assert "No result yet" in labels_in(log)
    assert not [entry for entry in log if entry[0] == "progress"]

    assert bpy.ops.facemotion.detect_emotion_image(filepath=str(asset_path(PHOTO))) == {"FINISHED"}
    log = draw_recognize_panel(context)
    props = registered
    bars = [entry[1] for entry in log if entry[0] == "progress"]
    assert [bar["factor"] for bar in bars] == pytest.approx(list(props.recognized_probabilities))
    assert [bar["text"].split()[0].lower() for bar in bars] == list(CATEGORIES)
    top = f"{props.recognized_label.capitalize()}  (intensity {props.recognized_intensity:.2f})"
    assert top in labels_in(log) and "astronaut.png" in labels_in(log)


def test_a_face_unchanged_from_its_rest_pose_is_neutral(relative_classifier, photo):
    """A relative model judges the change from rest: the smiling astronaut against herself changed nothing, so she
    is neutral (the shipped model alone calls her happy), while against another face's parts the model decides."""
    from facemotion.core.detect.landmarks import default_detector

    image = photo
    face = default_detector().detect_one(image)
    itself = relative_classifier.reference_parts(face, image)
    result = relative_classifier.classify_face(face, image, reference=itself)
    assert result.label == "neutral" and result.probabilities["neutral"] == 1.0 and result.intensity == 0.0
    # A reference that differs (the face mirrored, so its asymmetric smile changes) goes to the model.
    mirrored = default_detector().detect_one(np.ascontiguousarray(image[:, ::-1]))
    other = relative_classifier.classify_face(face, image, reference=relative_classifier.reference_parts(mirrored))
    assert other.probabilities["neutral"] < 1.0
