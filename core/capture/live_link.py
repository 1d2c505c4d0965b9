# SPDX-License-Identifier: GPL-3.0-or-later
"""Live Link Face CSV takes (Epic Games' iPhone app; read by Unreal and most face tools): read and write.

Layout (one header row, one row per captured frame): ``Timecode`` as ``HH:MM:SS:FF.fff`` (hours, minutes, seconds,
frame number at the take's frame rate, then the fraction of a frame), ``BlendShapeCount`` (61), the 52 ARKit shapes in
PascalCase (``EyeBlinkLeft`` ... ``TongueOut``, in the order of Unreal's ``ELiveLinkFaceBlendshape``), then
``HeadYaw, HeadPitch, HeadRoll, LeftEyeYaw, LeftEyePitch, LeftEyeRoll, RightEyeYaw, RightEyePitch, RightEyeRoll``
in radians. Columns are read by name, so other orders and extra columns are accepted.

Landscape takes: users of nmfisher/blender_livelinkface and its forks report ``MouthLeft``/``MouthRight`` swapped
and head yaw and pitch inverted when the phone was held sideways; ``landscape=True`` swaps the two columns back and
negates ``HeadYaw`` and ``HeadPitch`` (the eyes' angles are left as they are: no report says they are affected).
"""

import csv
import io
import math

import numpy as np

from ..arkit import ARKIT_INDEX, ARKIT_NAMES
from ..errors import InputError
from ..io.atomic_io import atomic_write_text
from .take import Take
from .timing import resample

#: Live Link Face's 52 shape columns in its own order (Unreal's ``ELiveLinkFaceBlendshape``).
LIVE_LINK_SHAPES = (
    "EyeBlinkLeft",
    "EyeLookDownLeft",
    "EyeLookInLeft",
    "EyeLookOutLeft",
    "EyeLookUpLeft",
    "EyeSquintLeft",
    "EyeWideLeft",
    "EyeBlinkRight",
    "EyeLookDownRight",
    "EyeLookInRight",
    "EyeLookOutRight",
    "EyeLookUpRight",
    "EyeSquintRight",
    "EyeWideRight",
    "JawForward",
    "JawRight",
    "JawLeft",
    "JawOpen",
    "MouthClose",
    "MouthFunnel",
    "MouthPucker",
    "MouthRight",
    "MouthLeft",
    "MouthSmileLeft",
    "MouthSmileRight",
    "MouthFrownLeft",
    "MouthFrownRight",
    "MouthDimpleLeft",
    "MouthDimpleRight",
    "MouthStretchLeft",
    "MouthStretchRight",
    "MouthRollLower",
    "MouthRollUpper",
    "MouthShrugLower",
    "MouthShrugUpper",
    "MouthPressLeft",
    "MouthPressRight",
    "MouthLowerDownLeft",
    "MouthLowerDownRight",
    "MouthUpperUpLeft",
    "MouthUpperUpRight",
    "BrowDownLeft",
    "BrowDownRight",
    "BrowInnerUp",
    "BrowOuterUpLeft",
    "BrowOuterUpRight",
    "CheekPuff",
    "CheekSquintLeft",
    "CheekSquintRight",
    "NoseSneerLeft",
    "NoseSneerRight",
    "TongueOut",
)
#: Head and eye rotation columns (radians), after the shapes.
LIVE_LINK_ANGLES = (
    "HeadYaw",
    "HeadPitch",
    "HeadRoll",
    "LeftEyeYaw",
    "LeftEyePitch",
    "LeftEyeRoll",
    "RightEyeYaw",
    "RightEyePitch",
    "RightEyeRoll",
)
#: The header facemotion writes.
LIVE_LINK_HEADER = ("Timecode", "BlendShapeCount") + LIVE_LINK_SHAPES + LIVE_LINK_ANGLES
#: Live Link Face's ``BlendShapeCount``: the 52 shapes and the 9 angles.
BLEND_SHAPE_COUNT = len(LIVE_LINK_SHAPES) + len(LIVE_LINK_ANGLES)
#: Frame rates a take's timecode is read at when none is given: the smallest one above every frame number seen.
STANDARD_RATES = (24.0, 25.0, 30.0, 48.0, 50.0, 60.0, 120.0)

#: ARKit index of each Live Link shape column.
_ARKIT_COLUMN = {name: ARKIT_INDEX[name[0].lower() + name[1:]] for name in LIVE_LINK_SHAPES}


def parse_timecode(text, fps):
    """``HH:MM:SS:FF.fff`` -> seconds (float). ``fps``: the take's frame rate, which ``FF.fff`` counts in.

    Raises InputError for any other layout (the message quotes the text)."""
    parts = str(text).strip().split(":")
    try:
        if len(parts) != 4:
            raise ValueError
        hours, minutes, seconds, frames = int(parts[0]), int(parts[1]), int(parts[2]), float(parts[3])
    except ValueError:
        raise InputError(f"timecode {text!r} is not HH:MM:SS:FF.fff") from None
    return hours * 3600.0 + minutes * 60.0 + seconds + frames / fps


def format_timecode(frame, fps):
    """Frame number ``frame`` (float, counted from midnight at ``fps``) -> ``HH:MM:SS:FF.fff``."""
    per_second = math.ceil(fps - 1e-9)
    whole = math.floor(frame + 1e-9)
    seconds, frames = divmod(whole, per_second)
    fraction = max(0.0, frame - whole)
    return (
        f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}:"
        f"{frames:02d}.{min(999, round(fraction * 1000)):03d}"
    )


def read_live_link_csv(path_or_text, *, fps=None, landscape=False):
    """Read a Live Link Face CSV take as a :class:`.take.Take` at its own frame rate.

    Args:
        path_or_text: a file path, or the CSV text itself (a ``str`` containing a newline).
        fps: the take's frame rate; None reads it from the timecodes (the smallest of :data:`STANDARD_RATES`
            above every ``FF`` seen: a 60 fps take counts frames 0..59).
        landscape: correct a landscape take (swap ``MouthLeft``/``MouthRight``, negate ``HeadYaw`` and
            ``HeadPitch``; see the module docstring).

    Rows are placed by their timecode; a take with dropped or repeated frames is resampled linearly onto a regular
    grid at ``fps`` (:func:`.timing.resample`). Angle columns missing from the file read as 0 (older takes stop
    after ``TongueOut``).

    Raises InputError: unreadable file, no rows, a shape column missing, a value that is not a number (the message
    gives the line and column).
    """
    text = str(path_or_text) if "\n" in str(path_or_text) else _read_text(path_or_text)
    rows = list(csv.reader(io.StringIO(text)))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if len(rows) < 2:
        raise InputError(f"{_name(path_or_text)}: no frames (a Live Link Face CSV has a header and one row per frame)")
    header = [cell.strip() for cell in rows[0]]
    column = {name: i for i, name in enumerate(header)}
    missing = [name for name in ("Timecode",) + LIVE_LINK_SHAPES if name not in column]
    if missing:
        raise InputError(
            f"{_name(path_or_text)}: not a Live Link Face take: column(s) {', '.join(missing[:4])}"
            f"{' ...' if len(missing) > 4 else ''} missing"
        )
    body = rows[1:]
    codes = [r[column["Timecode"]] if len(r) > column["Timecode"] else "" for r in body]
    if fps is None:
        fps = _rate_from_timecodes(codes, path_or_text)
    times = np.array([parse_timecode(code, fps) for code in codes])
    wanted = LIVE_LINK_SHAPES + LIVE_LINK_ANGLES
    values = np.zeros((len(body), len(wanted)), np.float64)
    for j, name in enumerate(wanted):
        if name not in column:
            continue
        c = column[name]
        for i, row in enumerate(body):
            try:
                values[i, j] = float(row[c])
            except (IndexError, ValueError):
                raise InputError(
                    f"{_name(path_or_text)}: line {i + 2}, column {name}: "
                    f"{row[c] if c < len(row) else 'nothing'!r} is not a number"
                ) from None
    if not np.isfinite(values).all():
        raise InputError(f"{_name(path_or_text)}: NaN or infinite values; fix or remove those rows")
    if landscape:
        left, right = LIVE_LINK_SHAPES.index("MouthLeft"), LIVE_LINK_SHAPES.index("MouthRight")
        values[:, [left, right]] = values[:, [right, left]]
        n = len(LIVE_LINK_SHAPES)
        values[:, n : n + 2] *= -1.0  # HeadYaw, HeadPitch
    weights = np.zeros((len(body), len(ARKIT_NAMES)), np.float64)
    for j, name in enumerate(LIVE_LINK_SHAPES):
        weights[:, _ARKIT_COLUMN[name]] = values[:, j]
    angles = values[:, len(LIVE_LINK_SHAPES) :]
    start = float(times[0])
    curves = resample(times - start, np.concatenate([weights, angles], axis=1), fps)
    return Take(
        fps=fps,
        weights=curves[:, :52],
        head_rotation=curves[:, 52:55],
        eye_rotation=curves[:, 55:61].reshape(-1, 2, 3),
        start_seconds=start,
    )


def live_link_text(take):
    """The CSV text of ``take`` (a :class:`.take.Take`): :data:`LIVE_LINK_HEADER`, one row per frame, timecodes from
    ``take.start_seconds`` at ``take.fps``, values with 7 significant digits (a write -> read round trip is exact
    to 1e-6)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(LIVE_LINK_HEADER)
    order = [_ARKIT_COLUMN[name] for name in LIVE_LINK_SHAPES]
    angles = np.concatenate([take.head_rotation, take.eye_rotation.reshape(-1, 6)], axis=1)
    first = take.start_seconds * take.fps
    for i in range(len(take)):
        values = np.concatenate([take.weights[i, order], angles[i]])
        writer.writerow(
            [format_timecode(first + i, take.fps), BLEND_SHAPE_COUNT] + [f"{v:.7g}" for v in values.tolist()]
        )
    return out.getvalue()


def write_live_link_csv(path, take):
    """Write ``take`` as a Live Link Face CSV at ``path`` (atomically, see :mod:`facemotion.core.io.atomic_io`).
    Returns the path. Raises InputError when the folder cannot be written."""
    return atomic_write_text(path, live_link_text(take))


def _rate_from_timecodes(codes, source):
    highest = -1
    for code in codes:
        parts = str(code).strip().split(":")
        try:
            highest = max(highest, int(float(parts[3])))
        except (IndexError, ValueError):
            raise InputError(f"{_name(source)}: timecode {code!r} is not HH:MM:SS:FF.fff") from None
    for rate in STANDARD_RATES:
        if highest < rate:
            return rate
    raise InputError(f"{_name(source)}: frame numbers up to {highest} in the timecodes; give the take's frame rate")


def _read_text(path):
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the Live Link CSV ({getattr(exc, 'strerror', None) or exc})") from None


def _name(source):
    return "the CSV text" if "\n" in str(source) else str(source)
