# SPDX-License-Identifier: GPL-3.0-or-later
"""Rendering a rigged face at given frames with Cycles on the CPU (works headless in the bpy module).

Used for the demo's contact sheet and for checking that expressions read right. A camera and a light are placed
from the face's landmark frame (looking at the face, upright), rendered, and removed again.
"""

import os
import tempfile
from contextlib import contextmanager

import bpy
import cv2
import numpy as np
from mathutils import Matrix

from ..core.errors import FacemotionError
from .console import held_stdout


@contextmanager
def _temporary_rig(scene, centre, forward, up, extent):
    """A temporary orthographic camera and sun light framing the face."""
    cam_data = bpy.data.cameras.new("facemotion_preview_camera")
    cam_data.type = "ORTHO"
    cam_data.ortho_scale = 1.5 * extent
    cam_data.clip_start = 0.01 * extent
    cam_data.clip_end = 100.0 * extent
    camera = bpy.data.objects.new(cam_data.name, cam_data)
    light_data = bpy.data.lights.new("facemotion_preview_light", "SUN")
    light_data.energy = 3.0
    light = bpy.data.objects.new(light_data.name, light_data)
    scene.collection.objects.link(camera)
    scene.collection.objects.link(light)
    right = np.cross(up, forward)
    basis = np.stack([right, up, forward], axis=1)  # camera looks along its -Z: -Z = -forward
    cam_matrix = np.eye(4)
    cam_matrix[:3, :3] = basis
    cam_matrix[:3, 3] = centre + forward * 5.0 * extent
    camera.matrix_world = Matrix(cam_matrix.tolist())
    key_light = np.eye(4)
    tilt = up * 0.5 + right * 0.3 + forward  # light from front, a little above and to the side
    z = tilt / np.linalg.norm(tilt)
    x = np.cross(up, z)
    x /= np.linalg.norm(x)
    key_light[:3, :3] = np.stack([x, np.cross(z, x), z], axis=1)
    light.matrix_world = Matrix(key_light.tolist())
    # A clay material override: the preview shows shape, not the file's materials (imported OBJ/MTL materials are
    # often transparent or unlit), and leaves the user's materials untouched.
    clay = bpy.data.materials.new("facemotion_preview_clay")
    clay.use_nodes = True
    bsdf = next(n for n in clay.node_tree.nodes if n.type == "BSDF_PRINCIPLED")
    bsdf.inputs["Base Color"].default_value = (0.62, 0.45, 0.36, 1.0)
    bsdf.inputs["Roughness"].default_value = 0.6
    view_layer = bpy.context.view_layer
    previous_camera, previous_override = scene.camera, view_layer.material_override
    scene.camera = camera
    view_layer.material_override = clay
    try:
        yield camera
    finally:
        scene.camera = previous_camera
        view_layer.material_override = previous_override
        bpy.data.materials.remove(clay)
        bpy.data.objects.remove(camera)
        bpy.data.objects.remove(light)
        bpy.data.cameras.remove(cam_data)
        bpy.data.lights.remove(light_data)


def render_frames(frames, *, centre, forward, up, extent, size=256, samples=32, scene=None):
    """Render the scene at each frame with Cycles (CPU), looking at the face.

    Args:
        frames: frame numbers to render.
        centre: ``(3,)`` world-space point the camera looks at (e.g. the landmarks' centroid).
        forward, up: ``(3,)`` unit vectors: the direction the face looks and its up direction.
        extent: face size in world units (the view covers 1.5 x extent).
        size: image side in pixels; samples: Cycles samples per pixel.

    Returns:
        list of ``(size, size, 3) uint8`` RGB images.

    Raises:
        FacemotionError: rendering failed.
    """
    scene = scene or bpy.context.scene
    settings = (
        scene.render.engine,
        scene.render.resolution_x,
        scene.render.resolution_y,
        scene.render.resolution_percentage,
        scene.render.filepath,
        scene.frame_current,
    )
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = samples
    scene.cycles.use_denoising = False  # OpenImageDenoise is not in every build; more samples instead
    scene.render.resolution_x = scene.render.resolution_y = size
    scene.render.resolution_percentage = 100
    scene.render.image_settings.file_format = "PNG"
    if scene.world is None:
        # A soft grey sky fills the shadows the key light leaves.
        scene.world = bpy.data.worlds.new("facemotion_world")
        scene.world.use_nodes = True
        background = scene.world.node_tree.nodes.get("Background")
        if background is not None:
            background.inputs["Color"].default_value = (0.35, 0.37, 0.4, 1.0)
    images = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        _temporary_rig(
            scene, np.asarray(centre, float), np.asarray(forward, float), np.asarray(up, float), float(extent)
        ),
    ):
        for frame in frames:
            scene.frame_set(int(frame))
            scene.render.filepath = os.path.join(tmp, f"frame_{int(frame):05d}.png")
            with held_stdout():  # Blender's render log ("Fra:...", "render | Saved: ...") unless verbose
                bpy.ops.render.render(write_still=True)
            image = cv2.imread(scene.render.filepath, cv2.IMREAD_COLOR)
            if image is None:
                raise FacemotionError(f"Cycles did not write frame {frame}")
            images.append(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    (
        scene.render.engine,
        scene.render.resolution_x,
        scene.render.resolution_y,
        scene.render.resolution_percentage,
        scene.render.filepath,
        frame_current,
    ) = settings
    scene.frame_set(frame_current)
    return images


def contact_sheet(images, labels, *, columns=3):
    """Tile ``(H, W, 3) uint8`` images into one sheet with a caption under each; returns ``(H', W', 3) uint8``."""
    h, w = images[0].shape[:2]
    caption = 28
    rows = (len(images) + columns - 1) // columns
    sheet = np.full((rows * (h + caption), columns * w, 3), 255, dtype=np.uint8)
    for i, (image, label) in enumerate(zip(images, labels)):
        r, c = divmod(i, columns)
        y, x = r * (h + caption), c * w
        sheet[y : y + h, x : x + w] = image
        cv2.putText(sheet, label, (x + 6, y + h + 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (20, 20, 20), 1, cv2.LINE_AA)
    return sheet
