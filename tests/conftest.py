"""Shared pytest set-up: the checkout is imported as the package ``facemotion``; real assets come from the asset module."""
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from package_path import import_facemotion  # noqa: E402

import_facemotion()


@pytest.fixture(scope="session")
def extension_zip(tmp_path_factory):
    """The extension zip built once per test session by tools/build_extension.py, with its wheels (cached in
    build/wheels) and its bundled run-time assets; a ``Path`` in a temporary folder."""
    import build_extension
    return build_extension.build(tmp_path_factory.mktemp("dist"), ROOT / "build" / "wheels")
