# SPDX-License-Identifier: GPL-3.0-or-later
"""Import MediaPipe where matplotlib is not installed (the extension zips).

``import mediapipe`` (1.x) runs ``mediapipe.tasks.python.vision.__init__``, which imports ``drawing_utils``, which
imports ``matplotlib.pyplot`` at its top for one helper, ``plot_landmarks``, that facemotion never calls. The
extension zips leave matplotlib and its dependency tree (contourpy, fonttools, kiwisolver, pillow, pyparsing,
python-dateutil, cycler: ~25 MB of wheels per Python per platform) out (``tools/build_extension.py``), so there the
import is made with stand-in ``matplotlib`` / ``matplotlib.pyplot`` modules that raise ImportError on any use, and
the stand-ins are taken out of ``sys.modules`` as soon as MediaPipe is imported: another add-on in the same Blender
that imports matplotlib afterwards gets the genuine package or the genuine ImportError. Where matplotlib is
installed (the development venvs, pip's ``mediapipe`` dependency), MediaPipe is imported as it is.
"""

import importlib
import importlib.util
import sys
import threading
import types

from ..interrupts import deferred_interrupts

__all__ = ["import_mediapipe"]

#: Held while stand-ins are in ``sys.modules``, so two threads never install or remove them at once.
_LOCK = threading.Lock()


class _AbsentModule(types.ModuleType):
    """A module whose every public attribute raises ImportError naming what is missing (dunder look-ups, which
    import machinery and introspection make, raise AttributeError as for any module)."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise ImportError(
            f"{self.__name__}.{name}: matplotlib is not installed; facemotion does not bundle it "
            f"(MediaPipe needs it only to plot landmarks)"
        )


def import_mediapipe():
    """Import and return the ``mediapipe`` module, with matplotlib stood in for while it imports if matplotlib is not
    installed (see the module docstring). Thread-safe. Raises ImportError when MediaPipe itself is missing.

    The import holds Ctrl+C / SIGTERM / SIGHUP back until it ends (:func:`..interrupts.deferred_interrupts`):
    cut short, it leaves half-made modules behind, and a temporary file in TMPDIR (sounddevice, imported by
    MediaPipe's audio tasks, runs ``ctypes.util.find_library``, which makes a ``tmpXXXXXXXX`` file and runs gcc)."""
    with _LOCK, deferred_interrupts():
        if "mediapipe" in sys.modules or importlib.util.find_spec("matplotlib") is not None:
            return importlib.import_module("mediapipe")
        stand_ins = {name: _AbsentModule(name) for name in ("matplotlib", "matplotlib.pyplot")}
        stand_ins["matplotlib"].pyplot = stand_ins["matplotlib.pyplot"]  # what `import matplotlib.pyplot as plt` reads
        sys.modules.update(stand_ins)
        try:
            return importlib.import_module("mediapipe")
        finally:
            for name, module in stand_ins.items():
                if sys.modules.get(name) is module:
                    del sys.modules[name]
