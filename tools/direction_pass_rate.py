# SPDX-License-Identifier: GPL-3.0-or-later
"""How many of the user sentences of tests/test_text_direction.py (``USER_SENTENCES``) a checkout's text direction
gives in the intended emotion order: ``python tools/direction_pass_rate.py [CHECKOUT]`` (default: this one), so an
older parser (e.g. main's) can be measured against the same table. Prints each miss and ``passed N of M``."""

import ast
import importlib.util
import sys
from pathlib import Path

TABLE = Path(__file__).resolve().parent.parent / "tests" / "test_text_direction.py"


def user_sentences(path=TABLE):
    """``USER_SENTENCES`` of the test file, read without importing it (dict: sentence -> list of emotion names)."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "USER_SENTENCES":
            return ast.literal_eval(node.value)
    raise SystemExit(f"{path}: no USER_SENTENCES table")


def emotion_order(keys):
    """The emotions of text keys in order (list of str), without the resting face put first when the first emotion
    ramps in."""
    names = [k.emotion for k in keys]
    if len(keys) > 1 and names[0] == "neutral" and keys[0].hold == 0.0:
        names = names[1:]
    return names


def _parse_direction(checkout):
    spec = importlib.util.spec_from_file_location(
        "facemotion", checkout / "__init__.py", submodule_search_locations=[str(checkout)]
    )
    sys.modules["facemotion"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sys.modules["facemotion"])
    from facemotion.core.animation.text_direction import parse_direction

    return parse_direction


def main(argv):
    checkout = Path(argv[0] if argv else Path(__file__).resolve().parent.parent).resolve()
    parse_direction = _parse_direction(checkout)
    table, passed = user_sentences(), 0
    for text, want in table.items():
        try:
            got = emotion_order(parse_direction(text))
        except Exception as exc:  # noqa: BLE001 - an older parser refuses sentences; that is a miss
            got = f"refused: {exc}"
        passed += got == want
        if got != want:
            print(f"miss {text!r}: want {want}, got {got}")
    print(f"{checkout}: passed {passed} of {len(table)} ({passed / len(table):.0%})")


if __name__ == "__main__":
    main(sys.argv[1:])
