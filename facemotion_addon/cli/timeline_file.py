# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading a timeline JSON file the user names (``animate --timeline``, ``batch --clips``): one safe reader for every
command, so a hostile file is refused with the same one line everywhere; and the ``--fps`` that overrides the file's
own frame rate, checked on its own (a bad ``--fps`` is the option's fault, not the file's)."""

import codecs
import json
import math

from ...core.errors import InputError
from ...core.io.input_file import check_not_special


def check_fps_option(fps):
    """``--fps`` of animate, batch and speak: None (the timeline's own rate) or frames per second in (0,
    :data:`~...core.animation.timeline.MAX_FPS`]. Returns ``fps``. Raises InputError naming the option."""
    from ...core.animation.timeline import MAX_FPS

    if fps is not None and not (math.isfinite(fps) and 0 < fps <= MAX_FPS):
        raise InputError(
            f"--fps must be a frame rate above 0 and at most {MAX_FPS:g} frames per second (e.g. 24, 30 or 60), "
            f"got {fps:g}"
        )
    return fps


#: Largest timeline file read (bytes); a timeline is a few kB of JSON.
MAX_TIMELINE_BYTES = 16 * 1024 * 1024


def read_timeline(path):
    """Parse the timeline JSON file ``path``: UTF-8 (with or without BOM), UTF-16 or UTF-32 with a BOM (what
    Windows PowerShell writes); binary files, huge numbers (1e400, 5000-digit integers) and deeply nested JSON are
    refused with one line, and so is a named pipe or device (reading it would block or never end). Returns the
    decoded JSON value. Raises InputError."""
    check_not_special(path, "give a timeline .json file")
    try:
        size = path.stat().st_size
        if size > MAX_TIMELINE_BYTES:
            raise InputError(
                f"{path}: timeline file is {size} bytes; a timeline is JSON of at most "
                f"{MAX_TIMELINE_BYTES // (1024 * 1024)} MiB"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read timeline ({exc.strerror or exc})") from None
    boms = (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    )
    encoding = next((enc for bom, enc in boms if data.startswith(bom)), "utf-8")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise InputError(
            f"{path}: not a text file (not valid {encoding.upper()}); a timeline is a JSON text file"
        ) from None
    if "\x00" in text:
        raise InputError(f"{path}: not a text file (it holds NUL bytes); a timeline is a JSON text file")

    def number(kind):
        def parse(token):
            value = kind(token)
            if not math.isfinite(value):
                raise InputError(f"{path}: number {token[:20]}{'...' if len(token) > 20 else ''} is out of range")
            return value

        return parse

    def integer(token):
        if len(token.lstrip("-")) > 15:
            raise InputError(f"{path}: integer {token[:20]}{'...' if len(token) > 20 else ''} is out of range")
        return int(token)

    try:
        return json.loads(
            text, parse_float=number(float), parse_int=integer, parse_constant=lambda token: number(float)(token)
        )
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise InputError(f"{path}: JSON nested too deeply; a timeline is a flat list of keys") from None
