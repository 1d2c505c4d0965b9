"""Shared pytest set-up: the checkout is imported as the package ``facemotion``; real assets come from the asset
module."""

import signal
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from package_path import import_facemotion  # noqa: E402

import_facemotion()

# A shell starts background jobs with Ctrl+C ignored (POSIX, without job control), and an ignored SIGINT is inherited
# through exec by every CLI the tests start: the tests of Ctrl+C would then see it ignored (exit 0). Tests run as from
# a terminal.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def extension_zip(tmp_path_factory):
    """The extension zips built once per test session by tools/build_extension.py, with their wheels (cached in
    build/wheels) and bundled run-time assets: ``{(platform, python): Path}`` (linux-x64, windows-x64, macos-arm64;
    "3.11" for Blender 4.2 - 5.0, "3.13" for 5.1 - 5.2) in a temporary folder."""
    import build_extension

    return build_extension.build(tmp_path_factory.mktemp("dist"), ROOT / "build" / "wheels")


def pytest_sessionfinish(session, exitstatus):
    session.config.facemotion_exitstatus = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """On bpy 4.2 end pytest with its own exit status after everything else (facemotion_addon.compat.exit_process):
    the interpreter shutdown crashes there once a glTF export ran, which would turn any result into exit 139."""
    if "bpy" in sys.modules and hasattr(config, "facemotion_exitstatus"):
        from facemotion.facemotion_addon import compat

        if compat.UNCLEAN_MODULE_EXIT:
            compat.exit_process(config.facemotion_exitstatus)
