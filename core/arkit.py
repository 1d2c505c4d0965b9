# SPDX-License-Identifier: GPL-3.0-or-later
"""Apple ARKit blendshape names and their ICT-FaceKit / MediaPipe spellings.

Source: Apple, ``ARFaceAnchor.BlendShapeLocation`` (52 coefficients). MediaPipe's Face Landmarker outputs ``_neutral``
plus the 51 ARKit names (no ``tongueOut``); ICT-FaceKit uses ARKit names with ``_L``/``_R`` and splits
``browInnerUp`` and ``cheekPuff`` per side.
"""

#: The 52 ARKit blendshape names, in the order facemotion uses for every ``(..., 52)`` weight array.
ARKIT_NAMES = (
    "eyeBlinkLeft",
    "eyeLookDownLeft",
    "eyeLookInLeft",
    "eyeLookOutLeft",
    "eyeLookUpLeft",
    "eyeSquintLeft",
    "eyeWideLeft",
    "eyeBlinkRight",
    "eyeLookDownRight",
    "eyeLookInRight",
    "eyeLookOutRight",
    "eyeLookUpRight",
    "eyeSquintRight",
    "eyeWideRight",
    "jawForward",
    "jawLeft",
    "jawRight",
    "jawOpen",
    "mouthClose",
    "mouthFunnel",
    "mouthPucker",
    "mouthLeft",
    "mouthRight",
    "mouthSmileLeft",
    "mouthSmileRight",
    "mouthFrownLeft",
    "mouthFrownRight",
    "mouthDimpleLeft",
    "mouthDimpleRight",
    "mouthStretchLeft",
    "mouthStretchRight",
    "mouthRollLower",
    "mouthRollUpper",
    "mouthShrugLower",
    "mouthShrugUpper",
    "mouthPressLeft",
    "mouthPressRight",
    "mouthLowerDownLeft",
    "mouthLowerDownRight",
    "mouthUpperUpLeft",
    "mouthUpperUpRight",
    "browDownLeft",
    "browDownRight",
    "browInnerUp",
    "browOuterUpLeft",
    "browOuterUpRight",
    "cheekPuff",
    "cheekSquintLeft",
    "cheekSquintRight",
    "noseSneerLeft",
    "noseSneerRight",
    "tongueOut",
)

ARKIT_INDEX = {name: i for i, name in enumerate(ARKIT_NAMES)}

#: The face regions an ARKit shape belongs to, as a character's strength gains them (``--region-strength``, the Rig
#: panel's Strength): every ARKit name is in exactly one. ``noseSneer*`` wrinkle the nose and lift the cheeks, so they
#: go with the cheeks; ``mouthClose`` and ``tongueOut`` with the mouth; the jaw is ``jaw*`` alone.
ARKIT_REGIONS = {
    "brows": tuple(n for n in ARKIT_NAMES if n.startswith("brow")),
    "eyes": tuple(n for n in ARKIT_NAMES if n.startswith("eye")),
    "cheeks": tuple(n for n in ARKIT_NAMES if n.startswith(("cheek", "noseSneer"))),
    "mouth": tuple(n for n in ARKIT_NAMES if n.startswith(("mouth", "tongue"))),
    "jaw": tuple(n for n in ARKIT_NAMES if n.startswith("jaw")),
}

#: ARKit name -> its region in :data:`ARKIT_REGIONS`.
ARKIT_REGION = {name: region for region, names in ARKIT_REGIONS.items() for name in names}


def arkit_from_ict(ict_name):
    """Return the ARKit name(s) an ICT-FaceKit shape contributes to.

    ``"mouthSmile_L"`` -> ``"mouthSmileLeft"``; ICT's split ``browInnerUp_L``/``_R`` and ``cheekPuff_L``/``_R`` map to
    the single ARKit ``browInnerUp`` / ``cheekPuff`` (their deltas are summed). Returns ``None`` for ICT shapes with no
    ARKit counterpart (``cheekRaiser_*``, ``PupilDilate_*``).
    """
    base, _, side = ict_name.partition("_")
    if base in ("browInnerUp", "cheekPuff"):
        return base
    name = base + {"L": "Left", "R": "Right", "": ""}[side]
    return name if name in ARKIT_INDEX else None
