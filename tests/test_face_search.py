"""core.detect.landmarks' face search on composites of faces/astronaut.png (tools/face_composites.py): faces from
24 px tall to the whole frame, several faces of different sizes in one image, a 48 px greyscale crop, a JPEG stored
sideways with an EXIF orientation tag. One every-face detector per module."""

import cv2
import face_composites as composites
import numpy as np
import pytest

from facemotion.core.detect import landmarks
from facemotion.core.io.image_io import load_image


@pytest.fixture(scope="module")
def photo():
    return composites.astronaut()


@pytest.fixture(scope="module")
def every_face():
    with landmarks.FaceLandmarkDetector(max_faces=None) as det:
        yield det


@pytest.fixture(scope="module")
def reference(every_face, photo):
    (face,) = every_face.detect(photo)
    return face


def _expected_pixels(reference, box, flip=False):
    """The reference face's landmark pixels moved into ``box`` (the place and size a composite put it at)."""
    x0, y0, x1, y1 = composites.ASTRONAUT_FACE_BOX
    scale = (box[3] - box[1]) / (y1 - y0)
    px = (reference.pixels - [(x0 + x1) / 2.0, (y0 + y1) / 2.0]) * scale
    if flip:
        px[:, 0] *= -1.0  # mirrored: the same points, the other side (point order differs, so compare means)
    return px + [(box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0]


@pytest.mark.parametrize("height", [24, 64, 128, 256])
def test_face_of_any_size_in_a_1024px_image_is_found_and_mapped_back(every_face, photo, reference, height):
    canvas = composites.background("clutter", composites.CANVAS_SIDE, photo)
    box = composites.paste_face(canvas, photo, height, (0.27 * 1024, 0.31 * 1024))
    faces = every_face.detect(canvas)
    assert len(faces) == 1  # no duplicates from the overlapping tiles and levels, no false face in the clutter
    (face,) = faces
    assert composites.box_iou(face.bbox, box) > 0.6
    error = np.abs(face.pixels - _expected_pixels(reference, box)).mean()
    assert error < max(1.0, 0.05 * height)  # pixels of the 1024 px image (measured 0.4-1.6 % of the face height)
    assert face.image_size == (1024, 1024)
    assert face.blendshapes["mouthSmileLeft"] > 0.3  # the smile survives the crop-then-landmark (even at 24 px)


def test_face_filling_the_frame_is_found(every_face, photo):
    image, box = composites.full_frame_face(photo)
    (face,) = every_face.detect(image)
    assert composites.box_iou(face.bbox, box) > 0.6


def test_48px_greyscale_crop_is_found(every_face, photo):
    grey = composites.small_grey_crop(photo)
    assert grey.shape == (48, 48)
    (face,) = every_face.detect(grey)
    assert face.image_size == (48, 48)
    x0, y0, x1, y1 = face.bbox
    assert x1 - x0 > 30 and y1 - y0 > 30  # the face fills the crop


def test_several_faces_of_different_sizes_are_all_found_largest_first(every_face, photo, reference):
    canvas = composites.background("clutter", composites.CANVAS_SIDE, photo)
    placed = [(256, (300, 330), False), (128, (760, 260), True), (64, (700, 760), False), (32, (230, 800), True)]
    boxes = [composites.paste_face(canvas, photo, height, centre, flip=flip) for height, centre, flip in placed]
    faces = every_face.detect(canvas)
    assert len(faces) == 4
    for face, box, (height, _, flip) in zip(faces, boxes, placed):  # largest first: the order they were placed in
        assert composites.box_iou(face.bbox, box) > 0.5
        expected = _expected_pixels(reference, box, flip)
        assert np.linalg.norm(face.pixels.mean(axis=0) - expected.mean(axis=0)) < 0.05 * height
    with landmarks.FaceLandmarkDetector(max_faces=2) as two:
        assert [composites.box_iou(f.bbox, b) > 0.5 for f, b in zip(two.detect(canvas), boxes)] == [True, True]


def test_face_free_images_give_no_face(every_face, photo):
    # The small-face search runs on each (no face in pass 1, 1024 px): BlazeFace's boxes on the suit's mission patch
    # (tiled twice) are refused because the landmark box lands elsewhere (IoU 0.09, CROP_AGREEMENT_IOU).
    patch = np.tile(cv2.resize(photo[330:, :300], (512, 512), interpolation=cv2.INTER_CUBIC), (2, 2, 1))
    noise = np.random.default_rng(0).integers(0, 256, (800, 1000, 3), dtype=np.uint8)
    checker = (((np.indices((768, 1024)).sum(axis=0) // 32) % 2) * 255).astype(np.uint8)
    for image in (patch, composites.background("clutter", 1024, photo), noise, checker):
        assert every_face.detect(image) == []


def test_search_is_deterministic(every_face, photo):
    canvas = composites.background("grey", composites.CANVAS_SIDE, photo)
    composites.paste_face(canvas, photo, 40, (512, 600))
    first, second = every_face.detect(canvas), every_face.detect(canvas)
    assert len(first) == len(second) == 1
    assert np.array_equal(first[0].landmarks, second[0].landmarks)


def test_portrait_costs_one_pass(photo):
    # A 512 px photo whose face pass 1 finds: the small-face search (and its BlazeFace graph) is never started.
    with landmarks.FaceLandmarkDetector(max_faces=None) as det:
        assert len(det.detect(photo)) == 1
        assert det._boxes is None


def test_exif_rotated_jpeg_is_read_upright(every_face, photo, reference, tmp_path):
    path = tmp_path / "phone.jpg"
    path.write_bytes(composites.exif_rotated_jpeg(photo))
    stored = cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_UNCHANGED)
    assert stored.shape[:2] == (512, 512) and np.abs(stored[:, :, ::-1].astype(int) - photo).mean() > 20  # sideways
    upright = load_image(path)
    assert np.abs(upright.astype(int) - photo).mean() < 3.0  # JPEG loss only
    (face,) = every_face.detect(upright)
    assert np.abs(face.pixels - reference.pixels).mean() < 2.0  # the box is in the upright frame


def test_blender_image_of_an_exif_rotated_jpeg_is_upright(photo, tmp_path):
    import bpy

    from facemotion.facemotion_addon.bridge import image_rgb

    path = tmp_path / "phone.jpg"
    path.write_bytes(composites.exif_rotated_jpeg(photo[:, :400]))
    image = bpy.data.images.load(str(path))
    try:
        assert tuple(image.size) == (512, 400)  # Blender keeps the stored, sideways pixels
        upright = image_rgb(image)
        assert upright.shape == (512, 400, 3) and np.abs(upright.astype(int) - photo[:, :400]).mean() < 3.0
    finally:
        bpy.data.images.remove(image)
