# SPDX-License-Identifier: GPL-3.0-or-later
"""The captured video behind the rig, for review: the scene camera's background shows the video as a movie clip,
frame for frame with the capture's keys.

The clip starts at the capture's first frame (``MovieClip.frame_start``) and plays at its own rate, as the keys do
when the scene keeps the video's rate (a take resampled to another rate drifts by the ratio: the Movie Clip Editor's
frame rate is the clip's). A scene without a camera gets one, ``facemotion_review``, in front of the faces (the face
looks along -Y), framing them; an existing camera is used as it is. The camera's other background images are kept.
"""

import contextlib

import bpy
import numpy as np

from ..core.errors import InputError
from .bridge import world_matrix

#: Name of the camera made for a scene that has none.
REVIEW_CAMERA = "facemotion_review"
#: Distance from the faces' bounding box to the new camera, in box heights (a 50 mm lens frames the head then).
FRAMING_DISTANCE = 2.5


@contextlib.contextmanager
def video_behind(scene, path, objects, frame_start=1):
    """Show the video ``path`` as the background of ``scene``'s camera (made when there is none, framing
    ``objects``), starting at scene frame ``frame_start``, once the block (the keying) ends without an error; the
    clip is opened first, so that a video Blender cannot open fails before anything is keyed, and dropped again
    when the block fails. Yields the ``MovieClip``. Raises InputError when Blender cannot open the video."""
    known = set(bpy.data.movieclips)
    try:
        clip = bpy.data.movieclips.load(str(path), check_existing=True)
    except RuntimeError as exc:
        raise InputError(f"{path}: Blender cannot open this video as a movie clip ({exc})") from None
    try:
        yield clip
    except BaseException:
        if clip not in known:
            bpy.data.movieclips.remove(clip)
        raise
    show_clip_behind(scene, clip, objects, frame_start)


def show_clip_behind(scene, clip, objects, frame_start=1):
    """Show the movie ``clip`` as the background of ``scene``'s camera (made when there is none, framing
    ``objects``), starting at scene frame ``frame_start``. Returns the ``CameraBackgroundImage``."""
    clip.frame_start = int(frame_start)
    camera = scene.camera or _review_camera(scene, objects)
    background = next((b for b in camera.data.background_images if b.clip == clip), None)
    if background is None:
        background = camera.data.background_images.new()
    # Defaults differ between versions (4.2: hidden, stretched; 5.x: shown, fitted): set every one we rely on.
    background.source = "MOVIE_CLIP"
    background.clip = clip
    background.use_camera_clip = False
    background.show_background_image = True
    background.frame_method = "FIT"
    background.alpha = 1.0
    background.display_depth = "BACK"
    camera.data.show_background_images = True
    return background


def _review_camera(scene, objects):
    """A camera on -Y of ``objects``' bounding box looking along +Y at it, linked to the scene and made active."""
    corners = []
    for obj in objects:
        matrix = world_matrix(obj)
        corners.append(np.array(obj.bound_box) @ matrix[:3, :3].T + matrix[:3, 3])
    corners = np.concatenate(corners)
    low, high = corners.min(axis=0), corners.max(axis=0)
    centre, height = (low + high) / 2.0, max(float(high[2] - low[2]), 1e-3)
    data = bpy.data.cameras.new(REVIEW_CAMERA)
    camera = bpy.data.objects.new(REVIEW_CAMERA, data)
    scene.collection.objects.link(camera)
    camera.location = (centre[0], low[1] - FRAMING_DISTANCE * height, centre[2])
    camera.rotation_euler = (np.pi / 2.0, 0.0, 0.0)  # a camera looks along its -Z: turned to look along +Y
    scene.camera = camera
    return camera
