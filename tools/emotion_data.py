#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Labeled emotion datasets for training and evaluating facemotion's classifier (development tooling).

Two sources, one file format:

``synth``: faces the project generates itself
    ICT-FaceKit's template (:func:`facemotion.core.rig.template.load_ict_template`) with all 20 identity modes sampled,
    posed with one of the 8 categories' FACS prototype (:func:`facemotion.core.emotion.presets.preset_weights`)
    at a random intensity, made asymmetric, with extra low-intensity action units, gaze and occasional blinks as noise,
    rotated (yaw, pitch, roll), lit, in one of three appearance styles (:data:`STYLES`: painted skin tone, lips,
    brows, irises and teeth; one plain albedo, as an untextured mesh; a plain face-only mask), rendered by the numpy
    z-buffer renderer (:mod:`facemotion.core.detect.rasterize`) onto a random background, then degraded like a photo
    (blur,
    sensor noise, JPEG). The Face Landmarker runs on every render and the features of
    :mod:`facemotion.core.emotion.features` are kept with the label, as for a user's photo: the classifier is trained
    on what the detector makes of a face, not on the template's ground truth. Renders the detector misses are
    skipped and counted. Everything is drawn from ``numpy.random.Generator`` streams seeded per face
    (``SeedSequence(seed, spawn_key=(index,))``) and per identity (see :func:`identity_coefficients`; a quarter of the
    identities are caricatures: :data:`CARICATURE_SHARE`), so a dataset
    is identical whatever the number of workers. Why each choice is made is commented where it is made.
    Measured on this project's shared 2-core machine (generator version 2): 8000 faces in 446 s with 2 workers
    (56 ms a face), 99.8 % detected (7982/8000 at seed 0, 798/800 held out); MediaPipe returns identical results
    for identical renders, across processes and runs (datasets rebuild bit-for-bit). Look at the renders with the
    ``sheet`` command.

``folder``: any labeled image folder in the common layout ``DIR/<label>/**/*.png|jpg|jpeg|bmp``
    (see :func:`load_labeled_folder`), so a studio can train or evaluate on its own licensed photos.

Dataset file (the interface agreed for issue 3; read by ``tools/train_emotion.py`` and ``tools/evaluate_emotion.py``):
an ``.npz`` with one float32 array per measured feature part
(:data:`facemotion.core.emotion.features.MEASURED_PARTS`; derived parts are computed when loaded)
(``distances (N, 23)``, ``lbp (N, 1180)``, ``blendshapes (N, 52)``, ``landmarks (N, 1404)``); ``labels (N,)``
unicode, one of :data:`facemotion.core.emotion.presets.CATEGORIES`; ``groups (N,) int64`` subject / identity id
(-1 unknown); ``intensity (N,) float32`` (NaN unknown); ``source (N,)`` unicode (``"ict-render"`` or the image
path); ``meta``: a 0-d unicode array holding JSON (seed, generator version, counts, skipped files). Synthetic sets
also carry two optional arrays: ``weights (N, 52) float32``, the ARKit weights the face was posed with, and
``head_pose_deg (N, 3) float32``, its yaw, pitch and roll in degrees.

CLI::

    .venv/bin/python tools/emotion_data.py synth --n 8000 --identities 120 --seed 0 --out build/emotion_synth.npz
    .venv/bin/python tools/emotion_data.py synth --n 800 --seed 1 --identity-offset 1000 \\
        --out build/emotion_synth_heldout.npz
    .venv/bin/python tools/emotion_data.py folder DIR --out build/my_photos.npz
    .venv/bin/python tools/emotion_data.py sheet --seed 0 --n 16 --out /tmp/emotion_sheet.png   # look at renders

Exit code 2 with one line on stderr on a FacemotionError (unknown label folder, missing assets...).
"""

import argparse
import colorsys
import json
import os
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from scipy.spatial import cKDTree

sys.path.insert(0, str(Path(__file__).resolve().parent))
from package_path import import_facemotion  # noqa: E402

import_facemotion()
from facemotion.core.arkit import ARKIT_INDEX, ARKIT_NAMES  # noqa: E402
from facemotion.core.detect.rasterize import OrthoCamera, linear_to_srgb, render, srgb_to_linear  # noqa: E402
from facemotion.core.emotion.facs import aus_to_arkit  # noqa: E402
from facemotion.core.emotion.features import MEASURED_PARTS, PARTS, extract_parts  # noqa: E402
from facemotion.core.emotion.presets import CATEGORIES, preset_weights  # noqa: E402
from facemotion.core.errors import FacemotionError, InputError  # noqa: E402
from facemotion.core.io.atomic_io import atomic_output, atomic_write_bytes  # noqa: E402
from facemotion.core.io.image_io import load_image  # noqa: E402
from facemotion.core.rig.template import ICT_PARTS, load_ict_template  # noqa: E402

__all__ = [
    "GENERATOR_VERSION",
    "IMAGE_EXTENSIONS",
    "LABEL_SYNONYMS",
    "RENDER_SOURCE",
    "FaceRenderer",
    "FaceSample",
    "Identity",
    "contact_sheet",
    "default_identities",
    "generate_synthetic",
    "identity_coefficients",
    "load_dataset",
    "load_labeled_folder",
    "render_sample",
    "resolve_label",
    "sample_expression",
    "sample_face",
    "sample_identity",
    "save_dataset",
]

#: Bumped whenever a change makes the same seed give different data (2: appearance styles; 3: caricatures; 4: the
#: presets rebuilt to read on one frame, issue 17; 5: sadness's chin raise, surprise's 25+27 variant, fear's AU4,
#: anger's AU5 and lip press, contempt's R12 raised so a single frame reads on any head, issue 17).
GENERATOR_VERSION = 5
#: ``source`` of every synthetic face.
RENDER_SOURCE = "ict-render"
#: Image files :func:`load_labeled_folder` reads (case-insensitive suffixes).
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp")
#: Our category -> folder names accepted for it (case-insensitive; the spellings common in public datasets).
LABEL_SYNONYMS = {
    "neutral": ("neutral", "calm"),
    "happy": ("happy", "happiness", "joy", "joyful"),
    "sad": ("sad", "sadness", "sorrow"),
    "surprise": ("surprise", "surprised"),
    "fear": ("fear", "fearful", "afraid", "scared"),
    "disgust": ("disgust", "disgusted"),
    "anger": ("anger", "angry"),
    "contempt": ("contempt", "contemptuous"),
}
_LABEL_LOOKUP = {name: label for label, names in LABEL_SYNONYMS.items() for name in names}
#: A file beside the label folders mapping image paths to subject ids (see :func:`load_labeled_folder`).
GROUPS_FILE = "groups.json"
#: How many example paths the dataset's meta keeps per kind of skipped file.
_EXAMPLES_KEPT = 5

# ---------------------------------------------------------------------------------------------------------------------
# ICT-FaceKit geometry the renderer needs

#: ICT-FaceKit's Multi-PIE 68-point landmark vertex indices (one table, in :mod:`synthetic_heads`).
from synthetic_heads import ICT_LANDMARKS_68  # noqa: E402

#: Eyeball sub-meshes (ICT-FaceKit README, "Eyeball Details"): the outer "Sclera" shell (a transparent cornea +
#: sclera in ICT's shaders) and the inner "Iris" ball that carries the iris and the white of the eye.
ICT_SCLERA_SHELLS = ((21451, 22221), (23021, 23791))
ICT_IRIS_BALLS = ((22221, 23021), (23791, 24591))
#: Parts never shown: ICT's eye shells meant for Unreal's transparent shaders render as opaque white sheets over the
#: eyes (PLATFORM.md: blank white eyes push MediaPipe's eye scores up), and so does the outer sclera shell.
HIDDEN_PARTS = (
    "lacrimal_fluid_left",
    "lacrimal_fluid_right",
    "eye_blend_left",
    "eye_blend_right",
    "eye_occlusion_left",
    "eye_occlusion_right",
)
#: Angles from the eyeball's axis (degrees) of the pupil and iris edges: a human iris is ~12 mm across and a pupil
#: 3-4 mm; on ICT's inner ball (radius ~14 mm) the iris edge is at asin(6 / 14) ~ 25 degrees.
PUPIL_ANGLE_DEG = 8.0
IRIS_ANGLE_DEG = 24.0

# ---------------------------------------------------------------------------------------------------------------------
# sampling ranges (all uniform unless said otherwise)

#: Intensity of a non-neutral face's prototype: below ~0.35 a prototype is hard to tell from neutral even for people.
INTENSITY_RANGE = (0.35, 1.0)
#: Left/right channel scale: ``1 +- a`` with ``a`` up to this (real expressions are rarely symmetric).
ASYMMETRY = 0.2
#: Action units added as noise (0-2 per face, each at NOISE_AU_INTENSITY): the brow, lid, cheek, nose, lip and jaw
#: AUs of :mod:`facemotion.core.emotion.facs` (1-26 but 11, and 41 lid droop). Not the blinks (drawn separately), nor
#: jaw
#: stretch/thrust, cheek blow/puff or lip suck (large, rare and in no basic emotion), nor gaze (drawn separately).
NOISE_AUS = (
    "1",
    "2",
    "4",
    "5",
    "6",
    "7",
    "9",
    "10",
    "12",
    "14",
    "15",
    "16",
    "17",
    "18",
    "20",
    "22",
    "23",
    "24",
    "25",
    "26",
    "41",
)
NOISE_AU_INTENSITY = (0.05, 0.2)
#: Gaze: each face looks a little sideways and up/down (AUs 61-64, as ARKit eyeLook weights).
GAZE_MAX = 0.3
#: Share of faces with a (partial) blink, and its weight.
BLINK_PROBABILITY = 0.06
BLINK_RANGE = (0.4, 1.0)
#: Head pose ranges (degrees): roughly what a frontal-ish photo or video frame shows.
YAW_DEG, PITCH_DEG, ROLL_DEG = 25.0, 15.0, 10.0
#: Face width (jaw landmark 0 to 16) as a share of the image width, and the face centre's offset from the image
#: centre (share of the width): from a loose portrait to a tight crop (FER-style). The detector pads tight crops.
FACE_FILL_RANGE = (0.4, 0.75)
CENTRE_JITTER = 0.06
#: Skin albedos (sRGB), light to dark, chosen by eye to span pale, light, medium, olive, brown and deep brown skin
#: with the warm hue of skin: warmer and more saturated than the Monk Skin Tone swatches (skintone.google), which
#: rendered as diffuse albedo look grey-green on the light end. A face's tone is drawn uniformly along the ramp
#: (interpolating neighbours), so dark and light skin are equally represented.
SKIN_TONES = (
    np.array(
        [
            [236, 200, 180],
            [226, 180, 150],
            [208, 156, 122],
            [186, 130, 92],
            [160, 104, 68],
            [122, 78, 50],
            [92, 58, 40],
            [62, 40, 30],
        ],
        dtype=np.float64,
    )
    / 255.0
)
#: Mean linear value the face's exposure is pulled toward (partially, see :func:`render_sample`).
EXPOSURE_TARGET = 0.25
#: Appearance styles and their shares. ``painted``: skin texture, lips, brows, irises (a photo-like face).
#: ``plain``: one albedo on every part (a mesh without materials, as Blender's viewport and the rig's own pose renders
#: show it). ``mask``: plain and cropped to the face, no ears, neck or scalp (a face-only mesh: a scan, a game mask).
#: Without plain faces the classifier learns painted lips, brows and irises as part of each expression and misreads
#: untextured heads (measured: MediaPipe's canonical face 7/15 recognised with painted-only training data).
STYLES = ("painted", "plain", "mask")
STYLE_SHARES = (0.5, 0.3, 0.2)
#: Eyes of a plain or mask face: ``blank`` (the eyeballs in the face's albedo) or ``hidden`` (no eyeballs: the socket
#: shows, as on a head exported without its eye meshes).
EYES = ("blank", "hidden")
#: Share of mask faces without a mouth interior (the parted lips show the background, as on a face-only surface).
MASK_OPEN_MOUTH = 0.5
#: Clay albedos (sRGB grey levels) of plain faces that are not skin-coloured: Blender's solid mode is ~0.8.
CLAY_GREY = (0.55, 0.85)
#: Face-oval crop of a mask face, in the neutral template's frontal plane: half-width as a share of the jaw width's
#: half (landmarks 0-16), height above the nose bridge as a share of the bridge-to-brow height; the chin is kept.
MASK_HALF_WIDTH = (0.9, 1.05)
MASK_FOREHEAD = (1.6, 2.6)
#: Share of identities that are caricatures (stylised characters rather than people): their identity coefficients
#: are pushed further (up to 1.7x, beyond +-2.5 standard deviations) and the head is stretched or squashed along each
#: axis. facemotion rigs stylised heads, and the classifier judges their poses: without caricatures in training a
#: wide, short head read as angry at rest (measured: 7/15 of a caricature's presets recognised).
CARICATURE_SHARE = 0.25
CARICATURE_EXAGGERATION = (1.0, 1.7)
CARICATURE_PROPORTIONS = (0.86, 1.14)
#: Eyelash cards are drawn with an alpha texture in ICT's shaders; opaque they are wide black bands. They are shrunk
#: toward their roots on the lid to this share of their length: a dark lash line.
LASH_LENGTH = 0.25


def _identity_rng(global_identity):
    # One stream per identity id, independent of the dataset's seed: identity k is the same head in every dataset,
    # so group ids mean the same thing across files and an --identity-offset guarantees unseen heads.
    return np.random.default_rng(np.random.SeedSequence(20250917, spawn_key=(int(global_identity),)))


def _face_rng(seed, index):
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(int(index),)))


@dataclass
class Identity:
    """A synthetic person: ICT identity coefficients and the colours that belong to the person, not the photo."""

    id: int
    coefficients: np.ndarray  # (20,) float64, N(0, 1) clipped to +-2.5
    skin: np.ndarray  # (3,) sRGB in [0, 1]
    lip_tint: float  # how much redder/darker than the skin the lips are (0..1)
    brow_colour: np.ndarray  # (3,) sRGB
    brow_strength: float  # brow opacity over the skin (0..1)
    brow_thickness: float  # scale of the brow band
    iris_colour: np.ndarray  # (3,) sRGB
    proportions: np.ndarray = None  # (3,) head scale along x, y, z (caricatures; None or ones: a person)


def identity_coefficients(global_identity, n_modes=20):
    """``(n_modes,) float64`` ICT identity coefficients of identity ``global_identity``: N(0, 1) clipped to +-2.5
    (the modes are PCA components of scans; +-2.5 standard deviations stays within plausible heads), times up to
    1.7 for a caricature (:data:`CARICATURE_SHARE`)."""
    return sample_identity(global_identity, n_modes).coefficients


def sample_identity(global_identity, n_modes=20):
    """The :class:`Identity` (head shape and colours) with id ``global_identity`` (int): drawn from a stream of its
    own that depends on the id alone, so identity k is the same person in every dataset."""
    rng = _identity_rng(global_identity)
    coefficients = np.clip(rng.standard_normal(n_modes), -2.5, 2.5)
    # Skin tone: uniform over the scale's positions, so dark and light skin are equally represented.
    position = rng.uniform(0.0, len(SKIN_TONES) - 1.0)
    lo = int(np.floor(position))
    hi = min(lo + 1, len(SKIN_TONES) - 1)
    skin = SKIN_TONES[lo] + (position - lo) * (SKIN_TONES[hi] - SKIN_TONES[lo])
    # A little hue variation (ruddy, olive, ...) around the ramp.
    skin = np.clip(skin * rng.uniform(0.95, 1.05, 3), 0.0, 1.0)
    hair = rng.choice(
        np.array([[0.08, 0.06, 0.05], [0.22, 0.15, 0.10], [0.40, 0.28, 0.18], [0.62, 0.50, 0.33], [0.45, 0.42, 0.40]]),
        p=[0.35, 0.3, 0.15, 0.1, 0.1],
    )
    iris = rng.choice(
        np.array([[0.20, 0.12, 0.07], [0.33, 0.22, 0.12], [0.25, 0.32, 0.38], [0.28, 0.33, 0.22]]),
        p=[0.5, 0.2, 0.15, 0.15],
    )
    colours = dict(
        lip_tint=float(rng.uniform(0.15, 0.55)),
        brow_colour=np.minimum(hair, skin * 0.8),
        brow_strength=float(rng.uniform(0.55, 0.95)),
        brow_thickness=float(rng.uniform(0.8, 1.25)),
        iris_colour=iris * rng.uniform(0.8, 1.2),
    )
    proportions = np.ones(3)
    if rng.random() < CARICATURE_SHARE:
        coefficients = coefficients * rng.uniform(*CARICATURE_EXAGGERATION)
        proportions = rng.uniform(*CARICATURE_PROPORTIONS, 3)
    return Identity(id=int(global_identity), coefficients=coefficients, skin=skin, proportions=proportions, **colours)


_sample_identity = sample_identity  # the name tools/evaluate_emotion.py uses


@dataclass
class FaceSample:
    """Everything one synthetic face is drawn with (all from its own random stream, see :func:`sample_face`).

    ``weights (52,) float32`` ARKit weights; ``pose_deg (3,)`` yaw, pitch, roll in degrees; ``light_dir (3,)`` unit
    vector toward the light in the camera frame; ``ambient`` in [0, 1]; ``fill`` face width / image width;
    ``offset (2,)`` face centre offset (share of the image width); ``background (3,)`` sRGB; ``texture_seed`` for
    the per-vertex skin noise and image noise; ``gain`` exposure factor; ``white_balance (3,)`` channel factors;
    ``blur_sigma`` px (0 = none); ``noise_sigma`` in 8-bit levels; ``jpeg_quality`` (0 = not compressed);
    ``style`` one of :data:`STYLES`; ``albedo (3,)`` sRGB of a plain or mask face; ``eyes`` one of :data:`EYES`
    (plain and mask faces); ``mouth_interior`` False when a mask face's mouth shows the background; ``crop (2,)``
    the mask's half-width and forehead factors (:data:`MASK_HALF_WIDTH`, :data:`MASK_FOREHEAD`).
    """

    label: str
    intensity: float
    identity: Identity
    weights: np.ndarray
    pose_deg: np.ndarray
    light_dir: np.ndarray
    ambient: float
    fill: float
    offset: np.ndarray
    background: np.ndarray
    background_gradient: np.ndarray
    texture_seed: int
    gain: float
    white_balance: np.ndarray
    blur_sigma: float
    noise_sigma: float
    jpeg_quality: int
    style: str = "painted"
    albedo: np.ndarray = None
    eyes: str = "blank"
    mouth_interior: bool = True
    crop: np.ndarray = None


def sample_style(rng, identity):
    """``(style, albedo (3,) or None, eyes, mouth_interior, crop (2,) or None)`` of one face, drawn from ``rng``."""
    style = STYLES[int(rng.choice(len(STYLES), p=STYLE_SHARES))]
    if style == "painted":
        return style, None, "blank", True, None
    kind = rng.random()
    if kind < 0.4:
        albedo = identity.skin * rng.uniform(0.95, 1.05, 3)
    elif kind < 0.7:
        albedo = np.full(3, rng.uniform(*CLAY_GREY))
    else:  # a coloured material, muted
        albedo = np.array(colorsys.hsv_to_rgb(rng.uniform(0.0, 1.0), rng.uniform(0.05, 0.35), rng.uniform(0.5, 0.9)))
    eyes = EYES[int(rng.integers(len(EYES)))]
    if style == "plain":
        return style, np.clip(albedo, 0.0, 1.0), eyes, True, None
    return (
        style,
        np.clip(albedo, 0.0, 1.0),
        eyes,
        bool(rng.random() >= MASK_OPEN_MOUTH),
        np.array([rng.uniform(*MASK_HALF_WIDTH), rng.uniform(*MASK_FOREHEAD)]),
    )


_LEFT = np.array([n.endswith("Left") for n in ARKIT_NAMES])
_RIGHT = np.array([n.endswith("Right") for n in ARKIT_NAMES])
#: ARKit index of each channel's mirror image (Left <-> Right; this also swaps the sideways jawLeft/jawRight and
#: mouthLeft/mouthRight, whose mirror images are each other).
_MIRROR = np.array(
    [
        ARKIT_INDEX[n[:-4] + "Right"]
        if n.endswith("Left")
        else ARKIT_INDEX[n[:-5] + "Left"]
        if n.endswith("Right")
        else i
        for i, n in enumerate(ARKIT_NAMES)
    ]
)


def sample_expression(rng, label):
    """``(weights (52,) float32, intensity float)`` for ``label``: the prototype at a random intensity, asymmetric,
    randomly mirrored, plus noise AUs, gaze and an occasional blink. Neutral: intensity 0, tiny random weights."""
    if label == "neutral":
        intensity = 0.0
        weights = np.zeros(len(ARKIT_NAMES), np.float64)
        if rng.random() < 0.5:
            # A resting face is never exactly the template's neutral: a few channels barely on.
            channels = rng.choice(len(ARKIT_NAMES) - 1, size=3, replace=False)
            weights[channels] = rng.uniform(0.0, 0.08, 3)
    else:
        intensity = float(rng.uniform(*INTENSITY_RANGE))
        weights = preset_weights(label, intensity).astype(np.float64)
    # Asymmetry: one side stronger than the other.
    a = rng.uniform(-ASYMMETRY, ASYMMETRY)
    weights[_LEFT] *= 1.0 + a
    weights[_RIGHT] *= 1.0 - a
    # Mirror half the faces: EMFACS writes contempt as R12A+R14A, but people show it on either side.
    if rng.random() < 0.5:
        weights = weights[_MIRROR]
    noise = {
        au: float(rng.uniform(*NOISE_AU_INTENSITY))
        for au in rng.choice(NOISE_AUS, size=int(rng.integers(0, 3)), replace=False)
    }
    weights += aus_to_arkit(noise) if noise else 0.0
    horizontal, vertical = rng.uniform(-GAZE_MAX, GAZE_MAX, 2)
    weights += aus_to_arkit(
        {"61" if horizontal > 0 else "62": abs(horizontal), "63" if vertical > 0 else "64": abs(vertical)}
    )
    if rng.random() < BLINK_PROBABILITY:
        blink = rng.uniform(*BLINK_RANGE)
        weights[[ARKIT_INDEX["eyeBlinkLeft"], ARKIT_INDEX["eyeBlinkRight"]]] += blink
    weights[ARKIT_INDEX["tongueOut"]] = 0.0  # ICT has no tongueOut shape
    return np.clip(weights, 0.0, 1.0).astype(np.float32), intensity


def sample_face(rng, label, identity):
    """Draw a :class:`FaceSample` of ``label`` for ``identity`` from the generator ``rng``."""
    weights, intensity = sample_expression(rng, label)
    pose = rng.uniform(-1.0, 1.0, 3) * np.array([YAW_DEG, PITCH_DEG, ROLL_DEG])
    # Light from anywhere in front of the face (camera frame: x right, y up, z toward the viewer), mostly from above.
    light = np.array([rng.uniform(-1.0, 1.0), rng.uniform(-0.4, 1.0), rng.uniform(0.35, 1.2)])
    # Any hue, mostly muted, dark to light: the face must not be told apart by a fixed backdrop.
    background = np.array(colorsys.hsv_to_rgb(rng.uniform(0.0, 1.0), rng.uniform(0.0, 0.5), rng.uniform(0.08, 0.95)))
    scalars = dict(
        ambient=float(rng.uniform(0.15, 0.5)),
        fill=float(rng.uniform(*FACE_FILL_RANGE)),
        offset=rng.uniform(-CENTRE_JITTER, CENTRE_JITTER, 2),
        background_gradient=rng.uniform(-0.15, 0.15, 2),
        texture_seed=int(rng.integers(2**31)),
        gain=float(rng.uniform(0.8, 1.15)),
        white_balance=rng.uniform(0.93, 1.07, 3),
        blur_sigma=float(rng.uniform(0.3, 1.1)) if rng.random() < 0.5 else 0.0,
        noise_sigma=float(rng.uniform(0.0, 4.0)),
        jpeg_quality=int(rng.integers(45, 96)) if rng.random() < 0.5 else 0,
    )
    style, albedo, eyes, mouth_interior, crop = sample_style(rng, identity)
    return FaceSample(
        label=label,
        intensity=intensity,
        identity=identity,
        weights=weights,
        pose_deg=pose,
        light_dir=light / np.linalg.norm(light),
        background=background,
        style=style,
        albedo=albedo,
        eyes=eyes,
        mouth_interior=mouth_interior,
        crop=crop,
        **scalars,
    )


def _rotation_deg(yaw, pitch, roll):
    """``(3, 3)`` head rotation ``R = Ry(yaw) Rx(pitch) Rz(roll)`` in the template's frame (x = subject's left,
    y up, z toward the camera): positive yaw turns the face toward the subject's left (the image's right), positive
    pitch tips the chin down, positive roll tilts the head counter-clockwise in the image."""
    y, p, r = np.radians([yaw, pitch, roll])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return ry @ rx @ rz


def _polygon_signed_distance(points_2d, polygon):
    """Signed distance (positive inside) of ``(N, 2)`` points to a closed polygon ``(M, 2)``, same units."""
    scale = 1e5  # cv2 works on float32 contours: use units of 10 micrometres for metres
    contour = (polygon * scale).astype(np.float32).reshape(-1, 1, 2)
    return np.array([cv2.pointPolygonTest(contour, (float(x), float(y)), True) for x, y in points_2d * scale]) / scale


def _segment_distance(points_2d, a, b):
    """Distance of ``(N, 2)`` points to segment ``a``-``b`` and the position ``t`` in [0, 1] along it."""
    ab = b - a
    t = np.clip(((points_2d - a) @ ab) / (ab @ ab), 0.0, 1.0)
    return np.linalg.norm(points_2d - (a + t[:, None] * ab), axis=1), t


class FaceRenderer:
    """Renders ICT-FaceKit faces for the Face Landmarker: visible triangles, per-region colour masks, posing.

    ``template``: a :class:`facemotion.core.rig.template.FaceTemplate` from :func:`load_ict_template` (default: loaded).
    Regions (weights per vertex, computed once on the neutral head in its frontal x-y plane): lips inside ICT's
    outer-lip landmark polygon (48-59) with a 1.5 mm soft edge; brows as bands under ICT's brow landmarks (17-26,
    which mark the brow's upper edge in the Multi-PIE markup), thicker at the inner end; the inner eyeballs' pupil
    and iris by angle from the eyeball axis (+z), the rest of the ball sclera. Hidden: :data:`HIDDEN_PARTS` and the
    outer sclera shells (:data:`ICT_SCLERA_SHELLS`). Eyelash cards are shortened (:data:`LASH_LENGTH`).
    """

    def __init__(self, template=None):
        self.template = template if template is not None else load_ict_template()
        t = self.template
        v0 = t.vertices
        n = len(v0)
        hidden = np.zeros(n, bool)
        for part in HIDDEN_PARTS:
            hidden[slice(*ICT_PARTS[part])] = True
        for a, b in ICT_SCLERA_SHELLS:
            hidden[a:b] = True
        #: ``(T', 3) int64`` the triangles drawn (none with a hidden vertex).
        self.triangles = t.triangles[~hidden[t.triangles].any(axis=1)]
        self.region = np.full(n, "skin", dtype=object)
        for part, region in (
            ("mouth_socket", "mouth"),
            ("gums_and_tongue", "gums"),
            ("teeth", "teeth"),
            ("eye_socket_left", "eye_socket"),
            ("eye_socket_right", "eye_socket"),
            ("eyelashes_left", "lashes"),
            ("eyelashes_right", "lashes"),
        ):
            self.region[slice(*ICT_PARTS[part])] = region
        lm = v0[list(ICT_LANDMARKS_68)]
        face = slice(*ICT_PARTS["face"])
        xy = v0[face, :2]
        front = v0[face, 2] > lm[[48, 54], 2].min() - 0.02  # the lip region's front, not the back of the head
        self.lip = np.zeros(n)
        self.lip[face] = np.clip(0.5 + _polygon_signed_distance(xy, lm[48:60, :2]) / 0.0015, 0.0, 1.0) * front
        # Brow band: per vertex, the distance to the nearer brow polyline (``brow_distance``) and the band's half
        # thickness there (``brow_half``); an identity's brow_thickness scales the half thickness when colouring.
        self.brow_distance = np.full(n, np.inf)
        self.brow_half = np.ones(n)
        brow_front = v0[face, 2] > lm[17:27, 2].min() - 0.01
        # Right brow: landmarks 17-21 run outer -> inner; left brow: 22-26 run inner -> outer.
        for first, last, inner_first in ((17, 21, False), (22, 26, True)):
            pts = lm[first : last + 1, :2] - np.array([0.0, 0.0035])  # the band's centre line under the upper edge
            best_d = np.full(len(xy), np.inf)
            best_half = np.ones(len(xy))
            for k in range(len(pts) - 1):
                d, s = _segment_distance(xy, pts[k], pts[k + 1])
                along = (k + s) / (len(pts) - 1)  # 0 .. 1 along the polyline
                half = 0.002 + 0.0022 * ((1.0 - along) if inner_first else along)  # ~4 mm outer, ~8.4 mm inner
                better = d - half < best_d - best_half
                best_d[better], best_half[better] = d[better], half[better]
            best_d[~brow_front] = np.inf
            closer = best_d - best_half < self.brow_distance[face] - self.brow_half[face]
            self.brow_distance[face] = np.where(closer, best_d, self.brow_distance[face])
            self.brow_half[face] = np.where(closer, best_half, self.brow_half[face])
        self.pupil = np.zeros(n, bool)
        self.iris = np.zeros(n, bool)
        self.sclera = np.zeros(n, bool)
        for a, b in ICT_IRIS_BALLS:
            p = v0[a:b]
            centre = p.mean(axis=0)
            d = p - centre
            angle = np.degrees(np.arccos(np.clip(d[:, 2] / np.linalg.norm(d, axis=1), -1.0, 1.0)))
            self.pupil[a:b] = angle < PUPIL_ANGLE_DEG
            self.iris[a:b] = (angle >= PUPIL_ANGLE_DEG) & (angle < IRIS_ANGLE_DEG)
            self.sclera[a:b] = angle >= IRIS_ANGLE_DEG
        self.region[self.pupil | self.iris | self.sclera] = "eye"
        # Face-oval coordinates of the skin (mask style): x over the jaw's half width, y over the height above the
        # nose bridge (to the brows' top) or below it (to the chin, kept whole); z in front of the jaw's ends.
        skin = np.zeros(n, bool)
        for part in ("face", "head_and_neck"):
            skin[slice(*ICT_PARTS[part])] = True
        bridge = lm[27:31].mean(axis=0)
        dy = v0[:, 1] - bridge[1]
        self._oval_x = (v0[:, 0] - bridge[0]) / (np.linalg.norm(lm[16, :2] - lm[0, :2]) / 2.0)
        self._oval_y = np.where(dy > 0, dy / (lm[17:27, 1].max() - bridge[1]), dy / (1.1 * (bridge[1] - lm[8, 1])))
        self._skin_in_front = skin & (v0[:, 2] > lm[[0, 16], 2].min() - 0.005)
        self._skin = skin
        self._eyeballs = np.zeros(n, bool)
        for a, b in ICT_IRIS_BALLS:
            self._eyeballs[a:b] = True
        self._mouth_interior = np.isin(self.region, ("mouth", "gums", "teeth"))
        self._deltas = t.deltas.reshape(len(t.deltas), -1)
        self._modes = t.identity_modes.reshape(len(t.identity_modes), -1)
        self._landmarks = np.array(ICT_LANDMARKS_68)
        lash = np.concatenate([np.arange(*ICT_PARTS["eyelashes_left"]), np.arange(*ICT_PARTS["eyelashes_right"])])
        # A card's root row touches the lid (coincides with face vertices); every lash vertex hangs on the nearest
        # root vertex, followed through expressions by that root's face vertex.
        gap, face_vertex = cKDTree(v0[face]).query(v0[lash])
        roots = np.flatnonzero(gap < 2e-4)
        _, nearest_root = cKDTree(v0[lash[roots]]).query(v0[lash])
        self._lash, self._lash_root = lash, face_vertex[roots[nearest_root]]

    def shape(self, coefficients, weights):
        """``(V, 3) float64`` vertices (metres) of identity ``coefficients (K,)`` posed with ARKit ``weights (52,)``
        (linear blendshapes: neutral + identity modes + expression deltas), eyelashes shortened."""
        flat = (
            self.template.vertices.reshape(-1)
            + np.asarray(coefficients, np.float64) @ self._modes[: len(coefficients)]
            + np.asarray(weights, np.float32) @ self._deltas
        )
        return self.shorten_lashes(flat.reshape(-1, 3))

    def shorten_lashes(self, vertices):
        """Pull the eyelash cards of ICT-topology ``vertices (V, 3)`` toward their roots on the lids
        (:data:`LASH_LENGTH`), in place; returns ``vertices``. Use it on heads posed without :meth:`shape`."""
        roots = vertices[self._lash_root]
        vertices[self._lash] = roots + LASH_LENGTH * (vertices[self._lash] - roots)
        return vertices

    def visible_triangles(self, sample):
        """``(T', 3) int64`` triangles drawn for a :class:`FaceSample`: all of :attr:`triangles` for a painted face;
        without the eyeballs (``eyes == "hidden"``), the mouth interior (``mouth_interior`` False) and, for a mask,
        the skin outside the face oval (``crop``)."""
        if sample.style == "painted":
            return self.triangles
        drop = np.zeros(len(self._skin), bool)
        if sample.eyes == "hidden":
            drop |= self._eyeballs
        if not sample.mouth_interior:
            drop |= self._mouth_interior
        if sample.style == "mask":
            half_width, forehead = sample.crop
            y = np.where(self._oval_y > 0, self._oval_y / forehead, self._oval_y)
            inside = (self._oval_x / half_width) ** 2 + y**2 < 1.0
            drop |= self._skin & ~(inside & self._skin_in_front)
        return self.triangles[~drop[self.triangles].any(axis=1)]

    def colours(self, identity, rng):
        """``(V, 3) float64`` sRGB vertex colours in [0, 1] for an :class:`Identity`; ``rng``
        (``numpy.random.Generator``) draws the skin's per-vertex texture."""
        n = len(self.template.vertices)
        skin = identity.skin
        col = np.empty((n, 3))
        # Skin texture: per-vertex luminance noise (pores, blotches) of a few percent.
        col[:] = skin * (1.0 + rng.normal(0.0, 0.02, (n, 1))) * (1.0 + rng.normal(0.0, 0.01, (n, 3)))
        lips = skin * np.array([0.86, 0.55, 0.55]) * (1.0 - 0.25 * identity.lip_tint)
        lips = skin + identity.lip_tint * 1.6 * (lips - skin)
        w = self.lip[:, None]
        col = col * (1.0 - w) + np.clip(lips, 0.0, 1.0) * w
        brow = np.clip((identity.brow_thickness * self.brow_half - self.brow_distance) / 0.002 + 0.5, 0.0, 1.0)
        w = (brow * identity.brow_strength)[:, None]
        col = col * (1.0 - w) + identity.brow_colour * w
        col[self.region == "lashes"] = 0.5 * identity.brow_colour + 0.2 * skin
        col[self.region == "teeth"] = np.array([0.86, 0.83, 0.74])
        col[self.region == "gums"] = np.array([0.55, 0.22, 0.22])
        col[self.region == "mouth"] = np.array([0.30, 0.10, 0.10])
        col[self.region == "eye_socket"] = skin * np.array([0.8, 0.55, 0.55])
        col[self.sclera] = np.array([0.9, 0.88, 0.85])
        col[self.iris] = identity.iris_colour
        col[self.pupil] = 0.03
        return np.clip(col, 0.0, 1.0)


def render_sample(renderer, sample, size=256):
    """Render a :class:`FaceSample` -> ``(size, size, 3) uint8`` RGB image.

    The head (:meth:`FaceRenderer.shape`, coloured by :meth:`FaceRenderer.colours` or the plain ``albedo``, the
    parts :meth:`FaceRenderer.visible_triangles` keeps for the style) is rotated by the sample's pose
    and seen by an orthographic camera looking along -z, framed so the jaw width (ICT landmarks 0-16) fills
    ``fill`` of the width, offset by ``offset``; Lambert shading (:func:`facemotion.core.detect.rasterize.render`)
    with the
    sample's light and ambient; composited over the background gradient; exposed (partly metered on the face, then
    ``gain`` and ``white_balance``) in linear light; then Gaussian blur, Gaussian sensor noise and JPEG compression
    as drawn. Deterministic: the same sample gives the same bytes.
    """
    ident = sample.identity
    verts = renderer.shape(ident.coefficients, sample.weights)
    if ident.proportions is not None:
        centre = verts[renderer._landmarks].mean(axis=0)
        verts = centre + (verts - centre) * ident.proportions
    rng = np.random.default_rng(sample.texture_seed)
    colours = renderer.colours(ident, rng)  # drawn for every style: the image noise below uses the same stream
    if sample.style != "painted":
        colours = np.broadcast_to(sample.albedo, colours.shape)
    lm = verts[renderer._landmarks]
    # The pivot only shifts an orthographic image, and the camera is centred on the face afterwards anyway.
    pivot = lm[27:36].mean(axis=0)
    rot = _rotation_deg(*sample.pose_deg)
    verts = (verts - pivot) @ rot.T
    lm = (lm - pivot) @ rot.T
    face_width = np.linalg.norm(lm[16] - lm[0])
    half_width = face_width / sample.fill / 2.0
    centre = np.array([lm[:, 0].mean(), lm[:, 1].mean(), 0.0])
    centre[:2] -= sample.offset * 2.0 * half_width
    camera = OrthoCamera(rotation=np.eye(3), centre=centre, half_width=half_width, size=(size, size))
    shot = render(
        verts,
        renderer.visible_triangles(sample),
        camera,
        vertex_colors=colours,
        light_dir=sample.light_dir,
        ambient=sample.ambient,
        background=(0.0, 0.0, 0.0),
    )
    image = srgb_to_linear(shot.image / 255.0)
    # Background: the flat colour with a linear gradient, composited where the mesh is not.
    yy, xx = np.mgrid[0:size, 0:size] / float(size) - 0.5
    bg = srgb_to_linear(
        np.clip(
            sample.background + (xx * sample.background_gradient[0] + yy * sample.background_gradient[1])[..., None],
            0.0,
            1.0,
        )
    )
    fg = shot.foreground[..., None]
    # Exposure: cameras meter on the scene, portraits on the face, so a dark face is exposed brighter than a light
    # one. Half of that (square root of the metering ratio, never darker): dark skin stays dark but keeps the
    # contrast of its shading, which MediaPipe needs to see a smile on it.
    metering = float(image[shot.foreground].mean()) if shot.foreground.any() else EXPOSURE_TARGET
    exposure = float(np.clip(np.sqrt(EXPOSURE_TARGET / max(metering, 1e-4)), 1.0, 3.0))
    image = np.where(fg, image, bg) * (exposure * sample.gain) * sample.white_balance
    image = linear_to_srgb(image) * 255.0
    if sample.blur_sigma > 0:
        image = cv2.GaussianBlur(image, (0, 0), sample.blur_sigma)
    image = image + rng.normal(0.0, sample.noise_sigma, image.shape)
    image = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    if sample.jpeg_quality:
        _, buf = cv2.imencode(".jpg", image[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, sample.jpeg_quality])
        image = cv2.imdecode(buf, cv2.IMREAD_COLOR)[:, :, ::-1]
    return np.ascontiguousarray(image)


# ---------------------------------------------------------------------------------------------------------------------
# generation


def _face_plan(index, n_identities, identity_offset):
    """Label and identity of face ``index``: labels cycle through CATEGORIES (stratified), and each run of 8
    consecutive faces (one per label) belongs to one identity, so every identity shows every label."""
    label = CATEGORIES[index % len(CATEGORIES)]
    identity = identity_offset + (index // len(CATEGORIES)) % n_identities
    return label, identity


#: Per process: the renderer and the detector, created on the first face (pool workers each get their own).
_worker_state = {}


def _make_one(args):
    """Render face ``index`` and extract its features; returns a dict (``parts`` None when no face was found)."""
    index, seed, n_identities, identity_offset, size = args
    from facemotion.core.detect.landmarks import default_detector

    if "renderer" not in _worker_state:
        _worker_state["renderer"] = FaceRenderer()
    # The shared detector, asked for each time: unregistering the add-on in this process closes it, and the next call
    # makes a new one.
    renderer, detector = _worker_state["renderer"], default_detector()
    label, identity_id = _face_plan(index, n_identities, identity_offset)
    identity = _identities(identity_id, renderer.template.identity_modes.shape[0])
    sample = sample_face(_face_rng(seed, index), label, identity)
    image = render_sample(renderer, sample, size)
    faces = detector.detect(image)
    parts = extract_parts(faces[0], image, MEASURED_PARTS) if faces else None
    return {
        "index": index,
        "label": label,
        "group": identity_id,
        "intensity": sample.intensity,
        "weights": sample.weights,
        "pose": sample.pose_deg.astype(np.float32),
        "parts": parts,
    }


_identity_cache = {}


def _identities(identity_id, n_modes):
    key = (identity_id, n_modes)
    if key not in _identity_cache:
        _identity_cache[key] = sample_identity(identity_id, n_modes)
    return _identity_cache[key]


def default_identities(n_faces):
    """Number of identities for ``n_faces`` faces: 60 (as many subjects as [Guo 2025]'s BU-3DFE protocol) or fewer
    for small sets, keeping at least 8 faces (one of each label) per identity."""
    return int(max(1, min(60, -(-n_faces // len(CATEGORIES)))))


def generate_synthetic(n_faces, seed=0, *, size=256, workers=1, progress=True, n_identities=None, identity_offset=0):
    """Generate a labeled synthetic dataset: render, detect, extract features (see the module docstring).

    Args:
        n_faces: number of faces to render (int >= 1); faces the detector misses are skipped, so the dataset may
            hold fewer (``meta["missed"]`` counts them).
        seed: int; the same seed (and arguments) give identical arrays whatever ``workers`` is.
        size: render side in pixels.
        workers: processes (>1: a ``multiprocessing`` "spawn" pool, each worker with its own renderer and
            detector; a script calling this must do so under ``if __name__ == "__main__":``).
        progress: print progress lines to stderr.
        n_identities: distinct identities (default :func:`default_identities`); face ``i`` belongs to identity
            ``identity_offset + (i // 8) % n_identities``, its label is ``CATEGORIES[i % 8]``.
        identity_offset: first identity id; identities (heads, skin tones) depend only on their id, so disjoint
            id ranges give disjoint people (use e.g. 1000 for a held-out set).

    Returns:
        dict with the dataset arrays (``distances``, ``lbp``, ``blendshapes``, ``landmarks`` float32; ``labels``,
        ``groups`` int64, ``intensity`` float32, ``source``; ``weights (N, 52)``, ``head_pose_deg (N, 3)``) and
        ``meta`` (a dict: seed, generator version, sizes, counts; nothing that varies between runs, so the same
        arguments write the same file bytes).

    Raises:
        InputError: ``n_faces`` < 1, ``size`` < 64, ``workers`` < 1 or ``n_identities`` < 1.
        AssetError: ICT-FaceKit or the MediaPipe model missing.
    """
    n_faces, size, workers = int(n_faces), int(size), int(workers)
    if n_faces < 1:
        raise InputError(f"n_faces must be at least 1, got {n_faces}")
    if size < 64:
        raise InputError(f"size must be at least 64 px (the detector needs a visible face), got {size}")
    if workers < 1:
        raise InputError(f"workers must be at least 1, got {workers}")
    n_identities = default_identities(n_faces) if n_identities is None else int(n_identities)
    if n_identities < 1:
        raise InputError(f"n_identities must be at least 1, got {n_identities}")
    jobs = [(i, int(seed), n_identities, int(identity_offset), size) for i in range(n_faces)]
    start = time.perf_counter()
    results = []

    def report(done):
        if progress and (done % 100 == 0 or done == n_faces):
            elapsed = time.perf_counter() - start
            print(
                f"  {done}/{n_faces} faces, {elapsed:.0f} s ({elapsed / done * 1000:.0f} ms/face)",
                file=sys.stderr,
                flush=True,
            )

    if workers == 1:
        for job in jobs:
            results.append(_make_one(job))
            report(len(results))
    else:
        import multiprocessing

        # spawn, not fork: MediaPipe's graph threads do not survive a fork.
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            for result in pool.imap(_make_one, jobs, chunksize=8):
                results.append(result)
                report(len(results))
    kept = [r for r in results if r["parts"] is not None]
    missed = [r for r in results if r["parts"] is None]
    data = {
        part: np.stack([r["parts"][part] for r in kept]).astype(np.float32)
        if kept
        else np.zeros((0, PARTS[part]), np.float32)
        for part in MEASURED_PARTS
    }
    data["labels"] = np.array([r["label"] for r in kept], dtype="<U16")
    data["groups"] = np.array([r["group"] for r in kept], dtype=np.int64)
    data["intensity"] = np.array([r["intensity"] for r in kept], dtype=np.float32)
    data["source"] = np.array([RENDER_SOURCE] * len(kept), dtype="<U16")
    data["weights"] = (
        np.stack([r["weights"] for r in kept]).astype(np.float32) if kept else np.zeros((0, 52), np.float32)
    )
    data["head_pose_deg"] = (
        np.stack([r["pose"] for r in kept]).astype(np.float32) if kept else np.zeros((0, 3), np.float32)
    )
    import mediapipe

    data["meta"] = {
        "kind": "synthetic",
        "generator": "tools/emotion_data.py",
        "generator_version": GENERATOR_VERSION,
        "seed": int(seed),
        "requested": n_faces,
        "detected": len(kept),
        "missed": len(missed),
        "missed_by_label": {c: sum(r["label"] == c for r in missed) for c in CATEGORIES},
        "per_class": {c: int((data["labels"] == c).sum()) for c in CATEGORIES},
        "n_identities": n_identities,
        "identity_offset": int(identity_offset),
        "identities": sorted({int(g) for g in data["groups"]}),
        "size": size,
        "mediapipe": getattr(mediapipe, "__version__", "?"),
    }
    return data


def contact_sheet(seed=0, n=16, *, start=0, size=256, n_identities=60, identity_offset=0, columns=4, detector=None):
    """A grid of the renders of faces ``start .. start + n - 1`` exactly as :func:`generate_synthetic` draws them
    (same ``seed``, ``n_identities`` and ``identity_offset``), to look at the data. Each tile is captioned with its
    label, intensity and identity, and the Face Landmarker's verdict (``missed``, or its mean mouthSmile and jawOpen).

    Returns ``(rows * size, columns * size, 3) uint8`` RGB. ``detector``: default the shared one.
    """
    if detector is None:
        from facemotion.core.detect.landmarks import default_detector

        detector = default_detector()
    renderer = FaceRenderer()
    tiles = []
    for index in range(start, start + n):
        label, identity_id = _face_plan(index, n_identities, identity_offset)
        identity = _identities(identity_id, renderer.template.identity_modes.shape[0])
        sample = sample_face(_face_rng(seed, index), label, identity)
        tile = render_sample(renderer, sample, size).copy()
        faces = detector.detect(tile)
        if faces:
            b = faces[0].blendshapes
            verdict = f"smile {(b['mouthSmileLeft'] + b['mouthSmileRight']) / 2:.2f} jaw {b['jawOpen']:.2f}"
        else:
            verdict = "missed"
        for text, y in ((f"{label} {sample.intensity:.2f} id {identity_id} {sample.style}", 14), (verdict, size - 6)):
            cv2.putText(tile, text, (4, y), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (0, 0, 0), 3, cv2.LINE_AA)
            cv2.putText(tile, text, (4, y), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (255, 255, 255), 1, cv2.LINE_AA)
        tiles.append(tile)
    tiles += [np.zeros_like(tiles[0])] * (-len(tiles) % columns)
    return np.vstack([np.hstack(tiles[r : r + columns]) for r in range(0, len(tiles), columns)])


# ---------------------------------------------------------------------------------------------------------------------
# labeled folders


def resolve_label(name):
    """Our category for a folder name (case-insensitive, surrounding spaces ignored; :data:`LABEL_SYNONYMS`), or
    None when it is not one."""
    return _LABEL_LOOKUP.get(str(name).strip().lower())


def _accepted_names():
    return ", ".join(f"{label} ({'/'.join(names)})" for label, names in LABEL_SYNONYMS.items())


def load_labeled_folder(root, *, detector=None, progress=False):
    """Features of every face in a labeled image folder: ``root/<label>/**/*.png|jpg|jpeg|bmp``.

    Label folders map onto our categories case-insensitively with the usual synonyms (:data:`LABEL_SYNONYMS`:
    happy/happiness/joy, sad/sadness, surprise/surprised, fear/fearful/afraid, disgust/disgusted, anger/angry,
    contempt, neutral/calm). Images are searched recursively under each label folder (sorted, so the order is
    stable); folders whose name starts with a dot are ignored, and so are files directly in ``root``. Each image
    goes through :func:`facemotion.core.io.image_io.load_image` and the detector; the largest face is kept. Unreadable
    images and images without a face are skipped, counted and a few of their paths kept in ``meta["skipped"]``.

    Subjects: ``groups`` is -1 (unknown) unless ``root/groups.json`` exists: a JSON object mapping an image path
    relative to ``root`` (with ``/``, e.g. ``"happy/s01_a.png"``) to a subject id (an int, or a string; strings
    are numbered in sorted order, the names kept in ``meta["subjects"]``). Images it does not list get -1.

    Args:
        root: the folder. detector: a :class:`facemotion.core.detect.landmarks.FaceLandmarkDetector` (default: the
        shared
            one). progress: print a line every 100 images to stderr.

    Returns:
        the dataset dict (see the module docstring): ``intensity`` NaN, ``source`` each image's path.

    Raises:
        InputError: ``root`` is not a folder, a label folder is not one of ours (the message names it and lists
            the accepted names), ``groups.json`` is unreadable, or no image holds a face.
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError(
            f"labeled image folder {root} does not exist or is not a folder; give DIR with one "
            f"sub-folder per label (DIR/happy/*.png, ...)"
        )
    label_dirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not label_dirs:
        raise InputError(f"{root} has no label folders; expected DIR/<label>/*.png with labels {_accepted_names()}")
    labelled = []
    for folder in label_dirs:
        label = resolve_label(folder.name)
        if label is None:
            raise InputError(f"unknown label folder {folder} ({folder.name!r}); accepted names: {_accepted_names()}")
        files = sorted(
            p
            for p in folder.rglob("*")
            if p.is_file()
            and p.suffix.lower() in IMAGE_EXTENSIONS
            and not any(part.startswith(".") for part in p.relative_to(root).parts)
        )
        labelled += [(p, label) for p in files]
    group_of, subjects = _read_groups(root)
    if detector is None:
        from facemotion.core.detect.landmarks import default_detector

        detector = default_detector()
    start = time.perf_counter()
    rows, unreadable, no_face = [], [], []
    for k, (path, label) in enumerate(labelled):
        if progress and k and k % 100 == 0:
            print(f"  {k}/{len(labelled)} images, {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
        try:
            image = load_image(path)
        except InputError:
            unreadable.append(str(path))
            continue
        faces = detector.detect(image)
        if not faces:
            no_face.append(str(path))
            continue
        rel = path.relative_to(root).as_posix()
        rows.append((extract_parts(faces[0], image, MEASURED_PARTS), label, group_of.get(rel, -1), str(path)))
    meta = {
        "kind": "folder",
        "generator": "tools/emotion_data.py",
        "generator_version": GENERATOR_VERSION,
        "root": str(root),
        "images": len(labelled),
        "detected": len(rows),
        "skipped": {
            "unreadable": {"count": len(unreadable), "examples": unreadable[:_EXAMPLES_KEPT]},
            "no_face": {"count": len(no_face), "examples": no_face[:_EXAMPLES_KEPT]},
        },
        "per_class": {c: sum(r[1] == c for r in rows) for c in CATEGORIES},
        "subjects": subjects,
    }
    if not rows:
        raise InputError(
            f"no face found in any of the {len(labelled)} image(s) under {root} "
            f"({len(unreadable)} unreadable, {len(no_face)} without a face); check the folder"
        )
    data = {part: np.stack([r[0][part] for r in rows]).astype(np.float32) for part in MEASURED_PARTS}
    data["labels"] = np.array([r[1] for r in rows], dtype="<U16")
    data["groups"] = np.array([r[2] for r in rows], dtype=np.int64)
    data["intensity"] = np.full(len(rows), np.nan, dtype=np.float32)
    data["source"] = np.array([r[3] for r in rows])
    data["meta"] = meta
    return data


def _read_groups(root):
    """``({relative path: int subject}, subject names or None)`` from ``root/groups.json`` (empty when absent)."""
    path = root / GROUPS_FILE
    if not path.is_file():
        return {}, None
    try:
        mapping = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"{path} is not readable JSON ({exc}); write an object mapping image paths relative to "
            f"{root} to subject ids"
        ) from exc
    if not isinstance(mapping, dict):
        raise InputError(
            f"{path} must hold a JSON object mapping image paths to subject ids, got {type(mapping).__name__}"
        )
    values = list(mapping.values())
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return {str(k).replace("\\", "/"): int(v) for k, v in mapping.items()}, None
    if all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in values):
        names = sorted({str(v) for v in values})
        number = {name: i for i, name in enumerate(names)}
        return {str(k).replace("\\", "/"): number[str(v)] for k, v in mapping.items()}, names
    raise InputError(f"{path}: subject ids must be integers or strings")


# ---------------------------------------------------------------------------------------------------------------------
# dataset files

_REQUIRED = ("labels", "groups", "intensity", "source", "meta")
_OPTIONAL = {"weights": 52, "head_pose_deg": 3}


def _validate(data, where):
    """Check the arrays of a dataset dict; returns N. Raises InputError naming ``where`` and the problem."""
    missing = [k for k in (*MEASURED_PARTS, *_REQUIRED) if k not in data]
    if missing:
        raise InputError(f"{where}: dataset lacks {', '.join(missing)}; write it with tools/emotion_data.py")
    n = len(np.asarray(data["labels"]))
    widths = {**{p: PARTS[p] for p in MEASURED_PARTS}, **{k: v for k, v in _OPTIONAL.items() if k in data}}
    for part, dim in widths.items():
        arr = np.asarray(data[part])
        if arr.shape != (n, dim) or arr.dtype != np.float32:
            raise InputError(f"{where}: {part!r} is {arr.dtype} {arr.shape}, expected float32 ({n}, {dim})")
        if part in MEASURED_PARTS and not np.isfinite(arr).all():
            raise InputError(f"{where}: {part!r} holds non-finite values")
    for key, kind in (("labels", "U"), ("source", "U"), ("groups", "i"), ("intensity", "f")):
        arr = np.asarray(data[key])
        if arr.shape != (n,) or arr.dtype.kind != kind:
            raise InputError(f"{where}: {key!r} is {arr.dtype} {arr.shape}, expected ({n},) of kind {kind!r}")
    if np.asarray(data["groups"]).dtype != np.int64 or np.asarray(data["intensity"]).dtype != np.float32:
        raise InputError(f"{where}: 'groups' must be int64 and 'intensity' float32")
    unknown = sorted(set(np.asarray(data["labels"]).tolist()) - set(CATEGORIES))
    if unknown:
        raise InputError(f"{where}: unknown label(s) {unknown}; labels must be one of {', '.join(CATEGORIES)}")
    return n


def save_dataset(path, data):
    """Write a dataset dict to ``path`` as a compressed ``.npz``, atomically
    (:func:`facemotion.core.io.atomic_io.atomic_output`) and reproducibly: the same arrays give the same file bytes.

    ``data["meta"]`` may be a dict or a JSON string; it is stored as a 0-d unicode array (dicts with sorted keys).
    Keys other than the feature parts, the required arrays and the optional ``weights``/``head_pose_deg`` are not
    written. Returns ``Path(path)``. Raises InputError when an array has the wrong shape or dtype (module docstring).
    """
    path = Path(path)
    _validate(data, f"dataset for {path}")
    meta = data["meta"]
    meta_text = meta if isinstance(meta, str) else json.dumps(meta, sort_keys=True)
    arrays = {k: np.asarray(data[k]) for k in (*MEASURED_PARTS, *_REQUIRED, *_OPTIONAL) if k in data and k != "meta"}
    arrays["meta"] = np.array(meta_text)
    with atomic_output(path) as tmp:
        with open(tmp, "wb") as handle:
            _write_npz(handle, arrays)
    return path


def _write_npz(handle, arrays):
    """``np.savez_compressed``'s layout (one deflated ``NAME.npy`` per array, NumPy's ``.npy`` format) with a fixed
    entry time and host system: ``np.savez`` stamps each entry with the current time, so equal data would give
    different bytes (and a different sha256 in a model's training record)."""
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            with archive.open(info, "w", force_zip64=True) as entry:
                np.lib.format.write_array(entry, array, allow_pickle=False)


def load_dataset(path):
    """Read and validate a dataset ``.npz`` -> dict of arrays, with ``meta`` parsed into a dict.

    Raises InputError when the file is missing, not an ``.npz``, or an array is missing or has the wrong shape/dtype.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"dataset file {path} does not exist; generate it with tools/emotion_data.py")
    try:
        with np.load(path, allow_pickle=False) as npz:
            data = {k: npz[k] for k in npz.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise InputError(f"{path} is not a readable .npz dataset ({exc}); regenerate it") from exc
    _validate(data, str(path))
    try:
        data["meta"] = json.loads(str(data["meta"]))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: 'meta' is not JSON ({exc})") from exc
    return data


# ---------------------------------------------------------------------------------------------------------------------
# CLI


def _summary(data, path, seconds, workers=1):
    meta = data["meta"]
    counts = ", ".join(f"{c} {n}" for c, n in meta["per_class"].items())
    lines = [f"wrote {path}: {len(data['labels'])} faces ({counts})"]
    if meta["kind"] == "synthetic":
        rate = meta["detected"] / meta["requested"]
        lines.append(
            f"rendered {meta['requested']}, detected {meta['detected']} ({rate:.1%}), missed "
            f"{meta['missed']}; identities {meta['identity_offset']}.."
            f"{meta['identity_offset'] + meta['n_identities'] - 1}; {seconds:.0f} s "
            f"({seconds / meta['requested'] * 1000:.0f} ms/face, {workers} worker(s))"
        )
    else:
        skipped = meta["skipped"]
        lines.append(
            f"{meta['images']} images: {meta['detected']} with a face; skipped "
            f"{skipped['unreadable']['count']} unreadable, {skipped['no_face']['count']} without a face"
        )
        for kind in ("unreadable", "no_face"):
            for example in skipped[kind]["examples"]:
                lines.append(f"  skipped ({kind}): {example}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    synth = sub.add_parser("synth", help="render ICT-FaceKit faces and extract their features")
    synth.add_argument("--n", type=int, default=3000, help="faces to render (default 3000)")
    synth.add_argument("--seed", type=int, default=0)
    synth.add_argument("--size", type=int, default=256, help="render side in pixels (default 256)")
    synth.add_argument("--workers", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    synth.add_argument("--identities", type=int, default=None, help="distinct identities (default min(60, n/8))")
    synth.add_argument(
        "--identity-offset",
        type=int,
        default=0,
        help="first identity id: use a disjoint range (e.g. 1000) for a held-out set",
    )
    synth.add_argument("--out", type=Path, required=True)
    sheet = sub.add_parser("sheet", help="save a contact sheet of synthetic renders (PNG) to look at")
    sheet.add_argument("--seed", type=int, default=0)
    sheet.add_argument("--n", type=int, default=16)
    sheet.add_argument("--start", type=int, default=0, help="index of the first face")
    sheet.add_argument("--identities", type=int, default=60)
    sheet.add_argument("--identity-offset", type=int, default=0)
    sheet.add_argument("--out", type=Path, required=True)
    folder = sub.add_parser("folder", help="features of a labeled image folder DIR/<label>/*.png")
    folder.add_argument("dir", type=Path)
    folder.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        if args.command == "sheet":
            image = contact_sheet(
                args.seed, args.n, start=args.start, n_identities=args.identities, identity_offset=args.identity_offset
            )
            _, png = cv2.imencode(".png", image[:, :, ::-1])
            atomic_write_bytes(args.out, png.tobytes())
            print(f"wrote {args.out}: faces {args.start}..{args.start + args.n - 1} of seed {args.seed}")
            return 0
        if args.command == "synth":
            data = generate_synthetic(
                args.n,
                args.seed,
                size=args.size,
                workers=args.workers,
                n_identities=args.identities,
                identity_offset=args.identity_offset,
            )
        else:
            data = load_labeled_folder(args.dir, progress=True)
        save_dataset(args.out, data)
    except FacemotionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(_summary(data, args.out, time.perf_counter() - start, getattr(args, "workers", 1)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
