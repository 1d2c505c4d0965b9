"""core.detect.landmarks / core.io.image_io / core.detect.mediapipe_topology on real data: MediaPipe's Face
Landmarker on faces/astronaut.png (NASA portrait, frontal, smiling) and images derived from it. One detector per
module."""

import math
import signal

import cv2
import numpy as np
import pytest

from facemotion.core.arkit import ARKIT_INDEX, ARKIT_NAMES
from facemotion.core.detect import landmarks
from facemotion.core.detect import mediapipe_topology as topo
from facemotion.core.errors import InputError, NoFaceError
from facemotion.core.io import image_io
from facemotion.core.io.assets import asset_path


@pytest.fixture(scope="module")
def astronaut_path():
    return asset_path("faces/astronaut.png")


@pytest.fixture(scope="module")
def astronaut(astronaut_path):
    return image_io.load_image(astronaut_path)


@pytest.fixture(scope="module")
def detector():
    with landmarks.FaceLandmarkDetector() as det:
        yield det


@pytest.fixture(scope="module")
def reference(detector, astronaut):
    """The face found on the full 512 x 512 photo: the ground truth the variants are compared with."""
    faces = detector.detect(astronaut)
    assert len(faces) == 1
    return faces[0]


def _rotation_angle_deg(a, b):
    """Angle of the rotation taking ``a`` to ``b`` (3x3), degrees."""
    cos = (np.trace(a.T @ b) - 1.0) / 2.0
    return math.degrees(math.acos(min(1.0, max(-1.0, cos))))


# --------------------------------------------------------------------------------------------------- astronaut


def test_astronaut_one_smiling_frontal_face(reference):
    face = reference
    assert face.landmarks.shape == (478, 3) and face.landmarks.dtype == np.float32
    assert face.pixels.shape == (478, 2) and face.pixels.dtype == np.float32
    assert face.image_size == (512, 512)
    np.testing.assert_allclose(face.pixels, face.landmarks[:, :2] * 512, atol=1e-3)
    assert face.blendshapes["mouthSmileLeft"] > 0.5 and face.blendshapes["mouthSmileRight"] > 0.5
    # Eyes above the mouth (image y grows downwards), nose between.
    eye_y = face.pixels[[topo.RIGHT_EYE_OUTER_CORNER, topo.LEFT_EYE_OUTER_CORNER], 1].max()
    mouth_y = face.pixels[[topo.MOUTH_CORNER_RIGHT, topo.MOUTH_CORNER_LEFT], 1].min()
    assert eye_y < face.pixels[topo.NOSE_TIP, 1] < mouth_y
    # The face is in the upper middle of the photo (x 180-270, y 70-180 px).
    x0, y0, x1, y1 = face.bbox
    assert 150 < x0 < x1 < 300 and 50 < y0 < y1 < 200
    # Roughly frontal: rotation well under 25 degrees (about 15 here: camera slightly above), small yaw.
    pose = face.head_pose
    assert pose.shape == (4, 4) and pose.dtype == np.float32
    assert abs(np.linalg.det(pose[:3, :3]) - 1.0) < 1e-3
    assert _rotation_angle_deg(np.eye(3), pose[:3, :3]) < 25.0
    assert abs(pose[0, 2]) < 0.2  # yaw component
    assert -150.0 < pose[2, 3] < -30.0  # in front of the camera, tens of cm away


def test_blendshapes_in_arkit_order(reference):
    scores = reference.blendshapes
    assert len(scores) == 52 and "_neutral" in scores and "tongueOut" not in scores
    assert set(scores) - {"_neutral"} == set(ARKIT_NAMES) - {"tongueOut"}
    array = reference.blendshape_array
    assert array.shape == (52,) and array.dtype == np.float32
    assert array[ARKIT_INDEX["tongueOut"]] == 0.0
    for name in ARKIT_NAMES[:-1]:
        assert array[ARKIT_INDEX[name]] == pytest.approx(scores[name], abs=1e-6)
    assert array[ARKIT_INDEX["mouthSmileLeft"]] > 0.5


def test_detect_file_and_default_detector(astronaut_path, reference):
    shared = landmarks.default_detector()
    assert landmarks.default_detector() is shared
    face = shared.detect_file(astronaut_path)
    np.testing.assert_allclose(face.pixels, reference.pixels, atol=1e-3)
    landmarks.close_default_detector()
    assert shared.closed and landmarks.default_detector() is not shared
    landmarks.close_default_detector()


def test_closed_detector_refuses_work(astronaut):
    det = landmarks.FaceLandmarkDetector()
    det.close()
    det.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        det.detect(astronaut)


def test_ctrl_c_while_the_graph_is_made_leaves_no_graph_running(astronaut):
    """A Ctrl+C that lands inside MediaPipe's wrapper (after its graph threads started, before it returned) is
    raised once the detector is made, and that detector is closed at once: nothing is left running or logging."""
    made = []

    class InterruptedWhileMade(landmarks.FaceLandmarkDetector):
        def _start(self, create):
            made.append(self)

            def create_then_ctrl_c():
                task = create()
                signal.raise_signal(signal.SIGINT)  # what a user's Ctrl+C does at this instant
                return task

            super()._start(create_then_ctrl_c)

    with pytest.raises(KeyboardInterrupt):
        InterruptedWhileMade()
    assert len(made) == 1 and made[0].closed
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with landmarks.FaceLandmarkDetector() as det:  # MediaPipe is still usable
        assert len(det.detect(astronaut)) == 1


# ----------------------------------------------------------------------------------------------- image variants


def test_greyscale_gives_nearly_the_same_landmarks(detector, astronaut, reference, tmp_path):
    grey = cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY)
    cv2.imwrite(str(tmp_path / "grey.png"), grey)
    loaded = image_io.load_image(tmp_path / "grey.png")
    assert loaded.shape == (512, 512, 3) and (loaded[..., 0] == loaded[..., 2]).all()
    face = detector.detect_one(loaded)
    error = np.abs(face.pixels - reference.pixels)
    assert error.mean() < 1.5 and error.max() < 6.0  # pixels (measured 0.4 / 1.4)
    assert face.blendshapes["mouthSmileLeft"] > 0.5


def test_16bit_png_gives_the_same_landmarks(detector, astronaut, reference, tmp_path):
    deep = astronaut.astype(np.uint16) * 257
    cv2.imwrite(str(tmp_path / "deep.png"), cv2.cvtColor(deep, cv2.COLOR_RGB2BGR))
    loaded = image_io.load_image(tmp_path / "deep.png")
    assert loaded.dtype == np.uint8 and (loaded == astronaut).all()
    face = detector.detect_one(deep)  # the uint16 array directly
    assert np.abs(face.pixels - reference.pixels).max() < 0.5


def test_rgba_and_float_inputs(detector, astronaut, reference, tmp_path):
    rgba = np.dstack([astronaut, np.full(astronaut.shape[:2], 255, np.uint8)])
    cv2.imwrite(str(tmp_path / "rgba.png"), cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))
    assert (image_io.load_image(tmp_path / "rgba.png") == astronaut).all()
    assert (image_io.as_rgb_uint8(astronaut.astype(np.float32) / 255.0) == astronaut).all()
    transparent = rgba.copy()
    transparent[..., 3] = 0
    assert (image_io.as_rgb_uint8(transparent) == 255).all()  # composited over white
    assert detector.detect(transparent) == []


def test_blender_pixels_bottom_up_float_rgba(astronaut):
    h, w = astronaut.shape[:2]
    rgba = np.dstack([astronaut.astype(np.float32) / 255.0, np.ones((h, w), np.float32)])
    flat = rgba[::-1].ravel()  # Blender stores the bottom row first
    assert (image_io.from_blender_pixels(flat, w, h) == astronaut).all()
    with pytest.raises(InputError, match="expected"):
        image_io.from_blender_pixels(flat[:-4], w, h)


def test_small_crop_48px_is_found_and_mapped_back(detector, astronaut, reference):
    x0, y0, side = 170, 70, 110  # the face fills this crop (tight: the hard case for the face detector)
    crop = cv2.resize(astronaut[y0 : y0 + side, x0 : x0 + side], (48, 48), interpolation=cv2.INTER_AREA)
    face = detector.detect_one(crop)
    assert face.image_size == (48, 48)
    expected = (reference.pixels - [x0, y0]) * 48 / side
    assert np.abs(face.pixels - expected).mean() < 1.0  # crop pixels (measured 0.2)
    assert _rotation_angle_deg(reference.head_pose[:3, :3], face.head_pose[:3, :3]) < 15.0


def test_small_image_pose_is_mapped_to_the_original_camera(detector, astronaut, reference):
    # The whole photo at 96 px goes through the upscaled canvas; the face fills the same part of the frame, so
    # the head pose (geometry pipeline camera over the image) must match the full-size one.
    small = cv2.resize(astronaut, (96, 96), interpolation=cv2.INTER_AREA)
    face = detector.detect_one(small)
    assert np.abs(face.pixels * 512 / 96 - reference.pixels).mean() < 3.0
    t, t_ref = face.head_pose[:3, 3], reference.head_pose[:3, 3]
    assert np.linalg.norm(t - t_ref) < 0.06 * np.linalg.norm(t_ref)
    assert _rotation_angle_deg(reference.head_pose[:3, :3], face.head_pose[:3, :3]) < 5.0
    np.testing.assert_allclose(face.landmarks[:, 2], reference.landmarks[:, 2], atol=0.01)


def test_small_face_in_large_image_is_found_by_the_small_face_search(detector, astronaut, reference):
    # Centred on a 1024 px grey canvas the face is ~9 % of the frame: the short-range detector misses it whole.
    canvas = np.full((1024, 1024, 3), 128, np.uint8)
    canvas[256:768, 256:768] = astronaut
    face = detector.detect_one(canvas)
    assert np.abs(face.pixels - (reference.pixels + 256)).mean() < 1.5
    # Same face, half the relative size in a frame with the same field of view: twice as far from the camera.
    assert 1.75 < face.head_pose[2, 3] / reference.head_pose[2, 3] < 2.25


def test_two_faces_ordered_by_size(astronaut):
    half = cv2.resize(astronaut, (256, 256), interpolation=cv2.INTER_AREA)
    pair = np.zeros((512, 768, 3), np.uint8)
    pair[:, :512] = astronaut
    pair[128:384, 512:] = half
    with landmarks.FaceLandmarkDetector(max_faces=2) as det:
        faces = det.detect(pair)
    assert len(faces) == 2
    big, small = faces
    assert big.area > 3.0 * small.area  # half size: a quarter of the area
    assert big.pixels[:, 0].mean() < 512 < small.pixels[:, 0].mean()
    assert small.blendshapes["mouthSmileLeft"] > 0.5


# ------------------------------------------------------------------------------------------------- no face / bad


def test_uniform_grey_has_no_face(detector):
    grey = np.full((300, 400, 3), 128, np.uint8)
    assert detector.detect(grey) == []
    with pytest.raises(NoFaceError, match="no face found in the 400x300 image"):
        detector.detect_one(grey)


def test_tiny_and_empty_images(detector):
    assert detector.detect(np.full((1, 1, 3), 200, np.uint8)) == []
    assert detector.detect(np.zeros((1, 1), np.uint8)) == []
    for bad in (np.zeros((0, 0, 3), np.uint8), np.zeros((5, 0), np.uint8), np.zeros((4, 4, 5), np.uint8), None):
        with pytest.raises(InputError):
            detector.detect(bad)


def test_bad_image_files(detector, tmp_path):
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(InputError, match="corrupt.png"):
        image_io.load_image(corrupt)
    with pytest.raises(InputError, match="does not exist"):
        detector.detect_file(tmp_path / "missing.png")
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        image_io.load_image(tmp_path / "empty.png")
    with pytest.raises(InputError, match="not a file"):
        image_io.load_image(tmp_path)


# ------------------------------------------------------------------------------------------------------ topology


def _mediapipe_edges(name):
    from mediapipe.tasks.python.vision import FaceLandmarksConnections

    return {frozenset((c.start, c.end)) for c in getattr(FaceLandmarksConnections, name)}


def test_topology_chains_are_mediapipe_connections():
    def edges(*chains, closed=False):
        """The undirected edges of polylines (closed: back to the start), MediaPipe's connection format."""
        found = set()
        for chain in chains:
            ends = list(chain[1:]) + ([chain[0]] if closed and len(chain) > 2 else [])
            found.update(frozenset(e) for e in zip(chain, ends))
        return found

    assert edges(topo.LIPS_UPPER_INNER, topo.LIPS_LOWER_INNER) <= _mediapipe_edges("FACE_LANDMARKS_LIPS")
    assert edges(topo.LEFT_EYE_UPPER_LID, topo.LEFT_EYE_LOWER_LID) == _mediapipe_edges("FACE_LANDMARKS_LEFT_EYE")
    assert edges(topo.RIGHT_EYE_UPPER_LID, topo.RIGHT_EYE_LOWER_LID) == _mediapipe_edges("FACE_LANDMARKS_RIGHT_EYE")
    assert edges(topo.LEFT_EYEBROW_UPPER, topo.LEFT_EYEBROW_LOWER) == _mediapipe_edges("FACE_LANDMARKS_LEFT_EYEBROW")
    assert edges(topo.RIGHT_EYEBROW_UPPER, topo.RIGHT_EYEBROW_LOWER) == _mediapipe_edges("FACE_LANDMARKS_RIGHT_EYEBROW")
    assert edges(topo.FACE_OVAL, closed=True) == _mediapipe_edges("FACE_LANDMARKS_FACE_OVAL")
    assert edges(topo.LEFT_IRIS[1:], closed=True) == _mediapipe_edges("FACE_LANDMARKS_LEFT_IRIS")
    assert edges(topo.RIGHT_IRIS[1:], closed=True) == _mediapipe_edges("FACE_LANDMARKS_RIGHT_IRIS")


def test_topology_layout_on_the_real_face(reference):
    p, z = reference.pixels, reference.landmarks[:, 2]

    def mean_y(idx):
        return p[list(idx), 1].mean()

    # Subject's left appears on the image's right in an unmirrored photo.
    assert (
        p[topo.LEFT_EYE_OUTER_CORNER, 0]
        > p[topo.LEFT_EYE_INNER_CORNER, 0]
        > p[topo.RIGHT_EYE_INNER_CORNER, 0]
        > p[topo.RIGHT_EYE_OUTER_CORNER, 0]
    )
    assert p[topo.MOUTH_CORNER_LEFT, 0] > p[topo.MOUTH_CORNER_RIGHT, 0]
    assert p[topo.NOSE_ALA_LEFT, 0] > p[topo.NOSE_TIP, 0] > p[topo.NOSE_ALA_RIGHT, 0]
    for iris, upper, lower in (
        (topo.LEFT_IRIS, topo.LEFT_EYE_UPPER_LID, topo.LEFT_EYE_LOWER_LID),
        (topo.RIGHT_IRIS, topo.RIGHT_EYE_UPPER_LID, topo.RIGHT_EYE_LOWER_LID),
    ):
        corners = p[[upper[0], upper[-1]], 0]
        assert corners.min() < p[iris[0], 0] < corners.max()  # iris centre between its eye's corners
        assert mean_y(upper[1:-1]) < mean_y(lower[1:-1])  # upper lid above lower lid
    assert (
        p[topo.UPPER_LIP_OUTER_MID, 1]
        < mean_y(topo.LIPS_UPPER_INNER[1:-1])
        <= mean_y(topo.LIPS_LOWER_INNER[1:-1])
        < p[topo.LOWER_LIP_OUTER_MID, 1]
    )
    assert mean_y(topo.LEFT_EYEBROW_UPPER) < mean_y(topo.LEFT_EYE_UPPER_LID)
    assert mean_y(topo.RIGHT_EYEBROW_UPPER) < mean_y(topo.RIGHT_EYE_UPPER_LID)
    assert p[topo.LEFT_EYEBROW_UPPER[0], 0] > p[topo.LEFT_EYEBROW_INNER, 0]  # brows run outer end -> inner end
    assert p[topo.RIGHT_EYEBROW_UPPER[0], 0] < p[topo.RIGHT_EYEBROW_INNER, 0]
    oval_y = p[list(topo.FACE_OVAL), 1]
    # Forehead top among the highest oval points (the head is slightly rolled: 109 beside it is 0.4 px higher).
    assert topo.FACE_OVAL.index(topo.FOREHEAD_TOP) in np.argsort(oval_y)[:3]
    assert oval_y.argmax() == topo.FACE_OVAL.index(topo.CHIN)
    # The nose tip is the most forward mesh point (smallest z).
    assert int(np.argmin(z[: topo.NUM_MESH_LANDMARKS])) == topo.NOSE_TIP


# ---------------------------------------------------------------------------------------------------- BlazeFace


def test_face_detector_scores_and_boxes(astronaut, reference):
    with landmarks.FaceDetector() as det:
        best = det.detect(astronaut)[0]
        assert best.score > 0.8
        x0, y0, x1, y1 = best.bbox
        nose = reference.pixels[topo.NOSE_TIP]
        assert x0 < nose[0] < x1 and y0 < nose[1] < y1
        right_eye, left_eye = best.keypoints[0], best.keypoints[1]
        assert right_eye[0] < left_eye[0]  # subject's right eye on the image's left
        assert np.linalg.norm(right_eye - reference.pixels[topo.RIGHT_IRIS_CENTER]) < 8.0
        assert det.score(astronaut[::-1]) < best.score  # upside down scores lower
        assert det.score(np.full((256, 256, 3), 128, np.uint8)) < 0.3
        # A 64 px image is upscaled and the box mapped back into its own pixels.
        small = cv2.resize(astronaut, (64, 64), interpolation=cv2.INTER_AREA)
        small_best = det.detect(small)[0]
        np.testing.assert_allclose(np.array(small_best.bbox) * 8, best.bbox, atol=12.0)
    assert landmarks.default_face_detector() is landmarks.default_face_detector()
    landmarks.close_default_detector()
