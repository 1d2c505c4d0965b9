"""Shared pytest set-up: the checkout is imported as the package ``facemotion``; real assets come from the asset module."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from package_path import import_facemotion  # noqa: E402

import_facemotion()
