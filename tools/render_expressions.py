# SPDX-License-Identifier: GPL-3.0-or-later
"""Contact sheet of rigged expressions on test heads: does each expression look right, on skin, eyes and teeth?

Rigs each head with :func:`facemotion.core.rig.autorig.rig_mesh` (every part on ``auto``, as an artist's import
arrives), poses it with the rig's shape keys and renders it with the project's numpy rasteriser
(:func:`facemotion.core.detect.rasterize.render`; no Blender needed), coloured by the part each vertex was
classified as (the colours of :mod:`facemotion.core.rig.preview`: skin, eyeball with a dark iris cap, teeth, tongue,
gums).
Columns: rest, eyeBlink, look left (subject's left: eyeLookOutLeft + eyeLookInRight), look up,
jawOpen, surprise (the preset at 1.0), then close-ups of the mouth in jawOpen, of the eyes looking left and of
the open mouth from 35 degrees to the side (where strips of a stretched mouth interior show first). For
each head it also prints the largest displacement, over all 52 shapes, of the vertices whose part was classified
as ignored (they must be exactly still).

Usage::

    python tools/render_expressions.py --heads ict,canonical,character --out contact_sheet.png

Heads: ``ict`` (ICT-FaceKit's generic neutral mesh, every part), ``template`` (the same mesh posed by ICT's own
expressions, not the rig: the reference the ``ict`` row should match), ``canonical`` (MediaPipe's canonical face, skin
only), ``character`` (:func:`synthetic_heads.full_character`: an ICT identity on a primitive body with clothes,
hair and a cube, rotated and off-origin), ``warp-<kind>`` (:func:`synthetic_heads.warped_ict`).
"""

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from package_path import import_facemotion  # noqa: E402

import_facemotion()
import synthetic_heads  # noqa: E402

from facemotion.core.arkit import ARKIT_INDEX  # noqa: E402
from facemotion.core.detect.rasterize import OrthoCamera, render  # noqa: E402
from facemotion.core.emotion.presets import preset_weights  # noqa: E402
from facemotion.core.rig.autorig import rig_mesh  # noqa: E402
from facemotion.core.rig.parts import ROLE_AUTO, ROLE_IGNORE  # noqa: E402
from facemotion.core.rig.preview import BACKGROUND, part_colours  # noqa: E402


def _both(*names, value=1.0):
    w = np.zeros(52, dtype=np.float32)
    for n in names:
        w[ARKIT_INDEX[n]] = value
    return w


#: (column title, ARKit weights (52,), view: "face" / "mouth" / "eyes").
COLUMNS = (
    ("rest", np.zeros(52, dtype=np.float32), "face"),
    ("eyeBlink", _both("eyeBlinkLeft", "eyeBlinkRight"), "face"),
    ("look left", _both("eyeLookOutLeft", "eyeLookInRight"), "face"),
    ("look up", _both("eyeLookUpLeft", "eyeLookUpRight"), "face"),
    ("jawOpen", _both("jawOpen"), "face"),
    ("surprise", None, "face"),
    ("jawOpen mouth", _both("jawOpen"), "mouth"),
    ("look left eyes", _both("eyeLookOutLeft", "eyeLookInRight"), "eyes"),
    ("jawOpen 3/4", _both("jawOpen"), "three_quarter"),
)


def load_head(name):
    """``(vertices (N, 3), triangles (M, 3))`` of a named test head (module docstring)."""
    if name in ("ict", "template"):
        parts = synthetic_heads.ict_parts(0)
    elif name == "canonical":
        parts = synthetic_heads.canonical_face()
    elif name == "character":
        parts = synthetic_heads.full_character()
    elif name.startswith("warp-"):
        parts = synthetic_heads.warped_ict(name[5:])
    else:
        raise SystemExit(f"unknown head {name!r}: use ict, canonical, character or warp-<kind>")
    vertices, triangles, _ = synthetic_heads.joined(parts)
    return vertices, triangles


def _template_deltas(vertices):
    """ICT-FaceKit's own ``(52, N, 3)`` deltas (file centimetres) for :func:`synthetic_heads.ict_parts` ``(N, 3)``
    vertices of identity 0 (its generic neutral), matched to the template's vertices by position."""
    from scipy.spatial import cKDTree

    from facemotion.core.rig.template import load_ict_template

    template = load_ict_template()
    distance, index = cKDTree(template.vertices * 100.0).query(vertices)
    if distance.max() > 1e-3:
        raise SystemExit("the template row needs ICT's generic neutral (identity 0) vertices")
    return template.deltas[:, index].astype(np.float64) * 100.0


def camera_for(result, view, size):
    """Orthographic camera looking at the face (``view`` "face"), its mouth or its eyes."""
    forward = result.fit.rotation @ np.array([0.0, 0.0, 1.0])
    up = result.fit.rotation @ np.array([0.0, 1.0, 0.0])
    lm = result.landmarks
    if view == "face":
        return OrthoCamera.framing(lm, view_dir=-forward, up=up, size=(size, size), margin=1.25)
    if view == "three_quarter":  # from 35 degrees to the subject's right, framed on the lower face
        turned = np.cos(np.radians(35.0)) * forward - np.sin(np.radians(35.0)) * np.cross(up, forward)
        pick = lm[[61, 291, 0, 17, 152, 1]]
        return OrthoCamera.framing(pick, view_dir=-turned, up=up, size=(size, size), margin=1.6)
    if view == "mouth":
        pick = lm[[61, 291, 0, 17, 152]]
        return OrthoCamera.framing(pick, view_dir=-forward, up=up, size=(size, size), margin=1.3)
    pick = lm[[33, 133, 362, 263, 159, 145, 386, 374]]
    return OrthoCamera.framing(pick, view_dir=-forward, up=up, size=(size, size), margin=1.4)


def head_row(name, size=256):
    """``(images list of (size, size, 3) uint8, text lines)`` for one head."""
    vertices, triangles = load_head(name)
    roles = np.full(len(vertices), ROLE_AUTO, dtype=np.int8)
    result = rig_mesh(vertices, triangles, roles=roles)
    colours = part_colours(vertices, triangles, result.parts, result.landmarks, result.fit.rotation[:, 2])
    deltas = result.deltas.astype(np.float64)
    if name == "template":  # ICT's own expressions on its own mesh: what the "ict" row should look like
        deltas = _template_deltas(vertices)
    images = []
    for title, weights, view in COLUMNS:
        if weights is None:
            weights = preset_weights(title)
        posed = vertices + np.tensordot(weights.astype(np.float64), deltas, axes=1)
        image = render(
            posed, triangles, camera_for(result, view, size), vertex_colors=colours, background=BACKGROUND, ssaa=2
        ).image
        images.append(np.ascontiguousarray(image))
    ignored = result.parts.roles == ROLE_IGNORE
    still = float(np.abs(deltas[:, ignored]).max()) if ignored.any() else 0.0
    extent = float(np.ptp(result.landmarks, axis=0).max())
    lines = [
        f"{name}: {len(vertices)} vertices; {result.parts.summary()}",
        f"  ignored vertices: {int(ignored.sum())}, largest motion {still:.3g} (face size {extent:.3g})",
    ]
    return images, lines


def contact_sheet(rows, titles, path, size=256):
    """Write the sheet: a title bar, then one row per head (``rows``: ``[(name, images)]``)."""
    bar = 28
    width = size * len(titles)
    sheet = np.full((bar + len(rows) * (size + bar), width, 3), 255, dtype=np.uint8)
    for j, title in enumerate(titles):
        cv2.putText(sheet, title, (j * size + 6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    for i, (name, images) in enumerate(rows):
        y = bar + i * (size + bar)
        cv2.putText(sheet, name, (6, y + 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 1, cv2.LINE_AA)
        for j, image in enumerate(images):
            sheet[y + bar : y + bar + size, j * size : (j + 1) * size] = image
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), sheet[:, :, ::-1]):
        raise SystemExit(f"could not write {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--heads", default="ict,canonical,character", help="comma-separated head names")
    parser.add_argument("--out", default="contact_sheet_expressions.png", help="PNG path")
    parser.add_argument("--size", type=int, default=256, help="cell size in pixels")
    args = parser.parse_args(argv)
    rows = []
    for name in args.heads.split(","):
        images, lines = head_row(name.strip(), args.size)
        rows.append((name.strip(), images))
        print("\n".join(lines), flush=True)
    contact_sheet(rows, [c[0] for c in COLUMNS], args.out, args.size)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
