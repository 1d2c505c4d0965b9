# SPDX-License-Identifier: GPL-3.0-or-later
"""MediaPipe imports and detects where matplotlib is not installed (the extension zips leave it out), and leaves no
trace of its matplotlib stand-ins behind (core.detect.mediapipe_import).

The check runs in a fresh interpreter (``-I -S``) whose only packages are a view of this venv's site-packages
without matplotlib, so ``import matplotlib`` fails there as it does in an installed extension; the detection is on
the real photo."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from facemotion.core.io.assets import asset_path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = r"""
import json, sys
view, tools, photo = sys.argv[1:4]
sys.path[:0] = [tools, view]  # view second: cv2's loader puts its own folder at sys.path[1], before it
from package_path import import_facemotion
import_facemotion()
from facemotion.core.detect.landmarks import FaceLandmarkDetector
from facemotion.core.detect.mediapipe_import import import_mediapipe
from facemotion.core.io.image_io import load_image
with FaceLandmarkDetector() as detector:
    faces = detector.detect(load_image(photo))
out = {"faces": len(faces), "matplotlib_modules": sorted(n for n in sys.modules if n.split(".")[0] == "matplotlib"),
       "same_module": import_mediapipe() is sys.modules["mediapipe"]}
try:
    import matplotlib.pyplot
    out["import_matplotlib"] = "imported"
except ModuleNotFoundError as exc:
    out["import_matplotlib"] = exc.name
print("RESULT " + json.dumps(out))
"""


def test_mediapipe_detects_without_matplotlib_and_removes_its_stand_ins(tmp_path):
    site_packages = Path(np.__file__).resolve().parents[1]
    view = tmp_path / "site-packages"
    view.mkdir()
    for entry in site_packages.iterdir():
        if not entry.name.lower().startswith(("matplotlib", "mpl_toolkits", "pylab")):
            (view / entry.name).symlink_to(entry)
    run = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            SCRIPT,
            str(view),
            str(ROOT / "tools"),
            str(asset_path("faces/astronaut.png")),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
    assert run.returncode == 0 and lines, run.stdout[-2000:] + run.stderr[-2000:]
    out = json.loads(lines[-1][len("RESULT ") :])
    assert out["faces"] == 1 and out["same_module"]
    # The stand-ins are gone: the next import of matplotlib fails as it would have without MediaPipe.
    assert out["matplotlib_modules"] == [] and out["import_matplotlib"] == "matplotlib"
