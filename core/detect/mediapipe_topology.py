# SPDX-License-Identifier: GPL-3.0-or-later
"""Named index sets of MediaPipe's 478-point face mesh (468 mesh points + 10 iris points).

Source: MediaPipe's ``face_mesh_connections`` (``mediapipe.tasks.python.vision.FaceLandmarksConnections``:
``FACE_LANDMARKS_LIPS``, ``..._LEFT_EYE``, ``..._LEFT_EYEBROW``, ``..._LEFT_IRIS``, ``..._FACE_OVAL``, ``..._NOSE``;
github.com/google-ai-edge/mediapipe, Apache-2.0), whose edge chains are written out here as ordered point lists,
and the canonical face model (``face_geometry/canonical_face_model.obj``) for the single points. The tests check every
chain against MediaPipe's own connections and the left/right and up/down layout against the real detector output
on ``faces/astronaut.png``.

Left / right: **the subject's** left and right, MediaPipe's own naming (its ``LEFT_EYE`` is points 263/362). In an
unmirrored frontal photo the subject's left eye appears on the image's right (larger x): on astronaut.png point 263
is at x = 255 px and point 33 at x = 195 px. ARKit's ``...Left`` blendshapes use the same convention.

Order: lip and lid contours run from the subject's right end to the left end (lips: corner 61 -> corner 291) or
from the outer eye corner to the inner one; brows from the outer end to the inner end; the face oval is a closed
loop starting at the forehead top (10) going over the subject's left side, the chin (152) and back up the right.
"""

#: Number of points the Face Landmarker returns (468 face mesh points + 2 x 5 iris points).
NUM_LANDMARKS = 478
#: Number of points of the face mesh proper (and of the canonical face model).
NUM_MESH_LANDMARKS = 468

# --- lips (MediaPipe FACE_LANDMARKS_LIPS' outer and inner chains), subject's right corner -> left corner -----
LIPS_UPPER_OUTER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
LIPS_LOWER_OUTER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
LIPS_UPPER_INNER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LIPS_LOWER_INNER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)

# --- eyelids (FACE_LANDMARKS_RIGHT_EYE / LEFT_EYE), outer corner -> inner corner ----------------------------------
RIGHT_EYE_UPPER_LID = (33, 246, 161, 160, 159, 158, 157, 173, 133)
RIGHT_EYE_LOWER_LID = (33, 7, 163, 144, 145, 153, 154, 155, 133)
LEFT_EYE_UPPER_LID = (263, 466, 388, 387, 386, 385, 384, 398, 362)
LEFT_EYE_LOWER_LID = (263, 249, 390, 373, 374, 380, 381, 382, 362)

# Short names for the same lid contours.
RIGHT_EYE_UPPER, RIGHT_EYE_LOWER = RIGHT_EYE_UPPER_LID, RIGHT_EYE_LOWER_LID
LEFT_EYE_UPPER, LEFT_EYE_LOWER = LEFT_EYE_UPPER_LID, LEFT_EYE_LOWER_LID

# --- irises (FACE_LANDMARKS_RIGHT_IRIS / LEFT_IRIS): centre, then the 4 boundary points in the image order
# +x side, top, -x side, bottom (for the right eye +x is medial, for the left eye lateral) --------------------------
RIGHT_IRIS = (468, 469, 470, 471, 472)
LEFT_IRIS = (473, 474, 475, 476, 477)
RIGHT_IRIS_CENTER = 468
LEFT_IRIS_CENTER = 473

# --- eyebrows (FACE_LANDMARKS_RIGHT_EYEBROW / LEFT_EYEBROW), outer end -> inner end --------------------------------
RIGHT_EYEBROW_UPPER = (70, 63, 105, 66, 107)
RIGHT_EYEBROW_LOWER = (46, 53, 52, 65, 55)
LEFT_EYEBROW_UPPER = (300, 293, 334, 296, 336)
LEFT_EYEBROW_LOWER = (276, 283, 282, 295, 285)

# --- face oval (FACE_LANDMARKS_FACE_OVAL), closed loop (the first point is not repeated) --------------------------
FACE_OVAL = (
    10,
    338,
    297,
    332,
    284,
    251,
    389,
    356,
    454,
    323,
    361,
    288,
    397,
    365,
    379,
    378,
    400,
    377,
    152,
    148,
    176,
    149,
    150,
    136,
    172,
    58,
    132,
    93,
    234,
    127,
    162,
    21,
    54,
    103,
    67,
    109,
)

# --- single points ---------------------------------------------------------------------------------------------
#: Most forward nose point (canonical model z = 7.59 cm; point 1 sits ~0.7 cm lower, see PLATFORM.md).
NOSE_TIP = 4
#: Nose wings (alae): the most lateral nose points of the canonical model (x = -/+1.79 cm).
NOSE_ALA_RIGHT = 129
NOSE_ALA_LEFT = 358
MOUTH_CORNER_RIGHT = 61
MOUTH_CORNER_LEFT = 291
UPPER_LIP_OUTER_MID = 0
LOWER_LIP_OUTER_MID = 17
RIGHT_EYE_OUTER_CORNER = 33
RIGHT_EYE_INNER_CORNER = 133
LEFT_EYE_INNER_CORNER = 362
LEFT_EYE_OUTER_CORNER = 263
#: Mid points of the lids (upper, lower) per eye: their distance is the lid opening.
RIGHT_EYE_UPPER_LID_MID = 159
RIGHT_EYE_LOWER_LID_MID = 145
LEFT_EYE_UPPER_LID_MID = 386
LEFT_EYE_LOWER_LID_MID = 374
#: Brow mid points (on the upper brow contour) and inner ends.
RIGHT_EYEBROW_MID = 105
LEFT_EYEBROW_MID = 334
RIGHT_EYEBROW_INNER = 107
LEFT_EYEBROW_INNER = 336
CHIN = 152
FOREHEAD_TOP = 10
