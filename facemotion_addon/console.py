# SPDX-License-Identifier: GPL-3.0-or-later
"""What the command line prints while it works: stage times (shared by the CLI commands and the demo)."""
import time

__all__ = ["print_stage"]


def print_stage(name, started):
    """Print one stage's wall time since ``started`` (a ``time.perf_counter()`` value)."""
    print(f"  {name:<30s} {time.perf_counter() - started:7.2f} s", flush=True)
