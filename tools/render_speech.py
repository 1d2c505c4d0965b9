# SPDX-License-Identifier: GPL-3.0-or-later
"""Contact sheet of a spoken sentence on rigged test heads: do the lips match the phones, the face the emotion?

Speaks :data:`speech_samples.EMOTION_TURN` ("I was so happy to see you, but now I am furious.") with espeak-ng,
runs :func:`facemotion.core.speech.talking_face.talking_face` with its transcript at 24 fps, and renders, on each
head (rigged by :func:`facemotion.core.rig.autorig.rig_mesh`, coloured by part as in ``render_expressions.py``), the
frame at the middle of chosen phones (the column title gives the phone, its word and the time) plus the mouth
close-up of the same frames. Needs espeak-ng; no Blender.

Usage::

    python tools/render_speech.py --heads ict,character --out speech_sheet.png
"""

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import render_expressions  # noqa: E402  (imports facemotion)
import speech_samples  # noqa: E402

from facemotion.core.detect.rasterize import render  # noqa: E402
from facemotion.core.rig.autorig import rig_mesh  # noqa: E402
from facemotion.core.rig.parts import ROLE_AUTO  # noqa: E402
from facemotion.core.speech.audio import read_audio  # noqa: E402
from facemotion.core.speech.talking_face import talking_face  # noqa: E402

FPS = 24
#: (phone, word) pairs whose middle frame is shown, in spoken order.
SHOWN = (
    ("AE", "happy"),
    ("P", "happy"),
    ("UW", "you"),
    ("B", "but"),
    ("AW", "now"),
    ("M", "am"),
    ("F", "furious"),
    ("UH", "furious"),
)


def speech_frames():
    """``(face, columns [(title, frame)])`` for the sentence."""
    with tempfile.TemporaryDirectory() as tmp:
        samples, _ = read_audio(speech_samples.speak_to_wav(speech_samples.EMOTION_TURN, Path(tmp) / "s.wav"))
    face = talking_face(samples, FPS, transcript=speech_samples.EMOTION_TURN, blinks=False)
    columns = []
    for phone, word in SHOWN:
        seg = next(p for p in face.alignment.phones if p.phone == phone and p.word == word)
        frame = int(round(0.5 * (seg.start + seg.end) * FPS))
        columns.append((f"{phone} ({word}) {frame / FPS:.2f}s {face.labels[frame]}", frame))
    columns.append((f"pause {face.duration - 0.1:.2f}s {face.labels[-1]}", len(face.weights) - 3))
    return face, columns


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--heads", default="ict,character", help="comma-separated head names (render_expressions)")
    parser.add_argument("--out", default="speech_sheet.png", help="PNG path")
    parser.add_argument("--size", type=int, default=200, help="cell size in pixels")
    args = parser.parse_args(argv)
    face, columns = speech_frames()
    rows = []
    for name in args.heads.split(","):
        vertices, triangles = render_expressions.load_head(name.strip())
        result = rig_mesh(vertices, triangles, roles=np.full(len(vertices), ROLE_AUTO, dtype=np.int8))
        colours = render_expressions.vertex_colours(result, vertices, triangles)
        deltas = result.deltas.astype(np.float64)
        for view in ("face", "eyes", "mouth"):
            camera = render_expressions.camera_for(result, view, args.size)
            images = []
            for _, frame in columns:
                posed = vertices + np.tensordot(face.weights[frame].astype(np.float64), deltas, axes=1)
                images.append(
                    np.ascontiguousarray(
                        render(
                            posed, triangles, camera, vertex_colors=colours, background=(0.15, 0.15, 0.17), ssaa=2
                        ).image
                    )
                )
            rows.append((f"{name.strip()} {view}", images))
        print(f"{name}: rigged, {len(columns)} frames rendered", flush=True)
    render_expressions.contact_sheet(rows, [title for title, _ in columns], args.out, args.size)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
