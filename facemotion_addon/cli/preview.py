# SPDX-License-Identifier: GPL-3.0-or-later
"""``facemotion preview MESH --out sheet.png``: rig a head and draw its preview sheet (:mod:`...core.rig.preview`).

The sheet shows the rig an export would carry: the head at rest, the key shapes (blink, gaze, jaw, smile, funnel,
brows) and the emotion presets, from the front and from three-quarter, every part in its own colour (skin, eyeballs
with their iris, upper and lower teeth, tongue, gums, ignored parts). Nothing is written but the PNG: the mesh file
is read, rigged in memory and left as it was.
"""

import time
from pathlib import Path

from ...core.errors import InputError
from ...core.io.atomic_io import check_output_file
from .. import console
from ..console import info, print_stage
from ..rig_preview import sheet_image, write_sheet
from .commands import load_head, naming_input


def add_preview_parser(sub):
    """Add the ``preview`` sub-command to ``sub`` (an argparse sub-parsers object); returns its parser."""
    parser = sub.add_parser(
        "preview",
        help="rig a head and render its preview sheet (PNG)",
        description="Rig MESH in memory and render the rest pose, key shapes and emotion presets, "
        "front and three-quarter, parts in distinct colours. MESH is not changed.",
    )
    parser.add_argument("mesh", help="input mesh: .obj, .glb/.gltf, .fbx or .blend")
    parser.add_argument("--out", required=True, help="output image: .png")
    parser.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    parser.add_argument("--size", type=int, default=192, help="pixels per cell (default 192; 64 to 1024)")
    parser.add_argument("--no-emotions", action="store_true", help="key shapes only, no emotion presets")
    return parser


def cmd_preview(args):
    from .. import pipeline, rigging

    if not 64 <= args.size <= 1024:
        raise InputError(f"--size must be between 64 and 1024 pixels per cell, got {args.size}")
    out = check_output_file(args.out, (".png",), overwrite=args.overwrite, what="use .png")
    objects = load_head(pipeline, args.mesh)
    t = time.perf_counter()
    plan = rigging.plan_rig(objects, use_landmark_object=False, smooth_shading=False)
    with naming_input(args.mesh), console.progress_bar("rig") as progress:
        result = plan.compute(progress=progress)
    print_stage("rig", t)
    info(f"  parts: {result.parts.summary()}")
    t = time.perf_counter()
    mesh = plan.combined
    sheet = sheet_image(
        mesh.vertices,
        mesh.triangles,
        result.deltas,
        result.parts,
        result.landmarks,
        result.fit.rotation,
        heading=Path(args.mesh).name,
        size=args.size,
        emotions=not args.no_emotions,
    )
    write_sheet(out, sheet)
    print_stage(f"write {out.name}", t)
    print(out)
    return 0
