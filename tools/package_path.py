"""Make a checkout importable as the ``facemotion`` package without installing it.

Blender imports the repository root as an extension package (``bl_ext.<repo>.facemotion``); a checkout's directory
can have any name, so the developer tools (tests, the CLI launcher, benchmarks) register the root under the fixed
name ``facemotion`` instead, which keeps every intra-package import relative and identical in both worlds.
"""

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def import_facemotion():
    """Import (once) and return the repository root as the package ``facemotion``."""
    if "facemotion" in sys.modules:
        return sys.modules["facemotion"]
    spec = importlib.util.spec_from_file_location(
        "facemotion", ROOT / "__init__.py", submodule_search_locations=[str(ROOT)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["facemotion"] = module
    spec.loader.exec_module(module)
    return module
