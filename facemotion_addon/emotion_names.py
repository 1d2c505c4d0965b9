# SPDX-License-Identifier: GPL-3.0-or-later
"""The wheel on the command line (``facemotion emotions [--json]``, ``animate --text ... [--save-timeline T]``) and
the Emotion panel's choices (enum items, :func:`wheel_choice`, how a timeline key stores a wheel name).

No bpy here: the functions are plain Python over the emotion vocabulary (:mod:`facemotion.core.emotion.vocabulary`,
:mod:`facemotion.core.emotion.wheel`) and :mod:`facemotion.core.animation.text_direction`, called by :mod:`.cli`.
"""

import argparse
import json
from pathlib import Path

from ..core.errors import InputError

__all__ = [
    "BLEND_ITEMS",
    "WHEEL_DYAD_ITEMS",
    "WHEEL_LEVEL_ITEMS",
    "WHEEL_MODE_ITEMS",
    "WHEEL_PAIR_ITEMS",
    "WHEEL_PRIMARY_ITEMS",
    "add_emotions_parser",
    "animate_spec",
    "cmd_emotions",
    "direction_report",
    "emotion_table",
    "finish_animate",
    "save_timeline",
    "wheel_choice",
    "wheel_key_fields",
]


def emotion_table():
    """Every emotion name the timeline accepts and what it resolves to, a ``list[dict]`` in table order: primaries'
    rings, dyads, presets, then aliases. Each dict: ``name``, ``kind`` ("primary", "dyad", "preset", "alias"),
    ``resolves_to`` (canonical name; an alias's target), ``components`` (``[[preset, weight], ...]``, E1 first),
    ``intensity`` (the strength a key at intensity 1 poses its prototype at), ``level`` (1-3 or None), ``dyad_kind``
    ("primary"/"secondary"/"tertiary" or None), ``opposite`` (a primary's opposite or None), ``text`` (one line).
    A key's intensity multiplies ``intensity``; a name means the same on a timeline, the wheel and in a text
    direction (:mod:`facemotion.core.emotion.vocabulary`)."""
    from ..core.emotion.vocabulary import emotion_label
    from ..core.emotion.wheel import OPPOSITES, all_names, resolve_wheel_name

    rings = {
        1: "preset {p} x {i:g} x intensity",
        2: "preset {p} x intensity",
        3: "the intense prototype of {p} x intensity",
    }
    rows = []
    for name in all_names():
        target = emotion_label(name)
        wheel = resolve_wheel_name(target)
        components = [[c, round(w, 6)] for c, w in wheel.components]
        primary = wheel.components[0][0] if wheel.kind == "primary" else None
        kind = "alias" if name != target else wheel.kind
        if wheel.kind == "dyad":
            parts = " + ".join(f"{c} {w:g}" for c, w in components)
            text = f"{wheel.dyad_kind} dyad: {parts} (E1 = {components[0][0]})"
        elif wheel.kind == "primary":
            ring = rings[wheel.level].format(p=primary, i=wheel.intensity)
            text = f"primary {primary}, level {wheel.level}: {ring}; opposite {OPPOSITES[primary]}"
        elif target == "contempt":
            text = "EMFACS contempt preset (unilateral smirk); Plutchik's anger + disgust is plutchik_contempt"
        else:
            text = f"preset {target} x intensity"
        rows.append(
            dict(
                name=name,
                kind=kind,
                resolves_to=target,
                components=components,
                intensity=wheel.intensity,
                level=wheel.level,
                dyad_kind=wheel.dyad_kind,
                opposite=OPPOSITES.get(primary),
                text=f"-> {target}" if kind == "alias" else text,
            )
        )
    return rows


def cmd_emotions(args):
    """``facemotion emotions [--json]``: every name, one per line (text) or one JSON document."""
    try:
        return _print_emotions(emotion_table(), args.json)
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as `emotion` does
        import os
        import sys

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 0


def _print_emotions(rows, as_json):
    if as_json:
        print(
            json.dumps(
                {
                    "names": rows,
                    "pairs": "any two primaries or presets joined by '+', e.g. joy+trust, "
                    'with "mix" = the first\'s weight (default 0.5)',
                    "blend": ["correlation", "linear", "correlation_weighted"],
                },
                indent=1,
            )
        )
        return 0
    width = max(len(r["name"]) for r in rows) + 2
    for title, kind in (
        ("Primaries (Plutchik's rings: mild, basic, intense)", "primary"),
        ("Dyads", "dyad"),
        ("Presets", "preset"),
        ("Aliases", "alias"),
    ):
        print(f"{title}:")
        for row in rows:
            if row["kind"] == kind:
                print(f"  {row['name']:<{width}s}{row['text']}")
    print(
        "Pairs: 'a+b' of two primaries or presets (e.g. joy+trust), \"mix\" = the first's weight (default 0.5); "
        '"blend": correlation (default) or linear'
    )
    return 0


def add_emotions_parser(sub, verbosity_options):
    """Add the ``emotions`` sub-command to the CLI's sub-parsers (``verbosity_options``: the CLI's -q/-v adder)."""
    p = sub.add_parser(
        "emotions",
        help="list every emotion name (wheel rings, dyads, presets) and what it is",
        description="List every emotion name a timeline key accepts, with what it resolves to: "
        "primaries at their intensity rings, dyads with their two constituents and "
        "weights, the EMFACS presets and the aliases.",
    )
    p.add_argument("--json", action="store_true", help="one JSON document instead of text")
    verbosity_options(p, argparse.SUPPRESS)
    return p


def _check_timeline_out(path, overwrite):
    from ..core.io.atomic_io import check_output_file

    return check_output_file(
        path, (".json",), overwrite=overwrite, what="--save-timeline writes JSON; give a .json file name"
    )


def animate_spec(args, read_timeline, info=print):
    """The timeline document of ``animate`` and the name errors use: ``(label, spec)``. Checks the argument
    combination first: exactly one of ``--timeline`` / ``--text``; ``--out`` or ``--save-timeline``; MESH when
    ``--out`` is given (and only then may it be left out). ``--text`` is read by
    :func:`facemotion.core.animation.text_direction.read_direction` (fps: ``--fps`` or 24) and what it understood
    goes to ``info`` (:func:`direction_report`). Raises InputError: a bad combination, a sentence without any
    emotion (with the words it did not understand and the nearest known ones), a bad ``--save-timeline`` path."""
    from ..core.animation.text_direction import read_direction, to_emotion_keys
    from ..core.animation.timeline import keys_to_json

    if (args.timeline is None) == (args.text is None):
        raise InputError('animate: give either --timeline FILE or --text "..." (one of them)')
    if args.out is None and args.save_timeline is None:
        raise InputError("animate: give --out OUT (and MESH), --save-timeline T.json, or both")
    if args.out is not None and args.mesh is None:
        raise InputError("animate: MESH is needed with --out (only --save-timeline alone works without a mesh)")
    if args.save_timeline is not None:
        _check_timeline_out(args.save_timeline, args.overwrite)
    if args.timeline is not None:
        path = Path(args.timeline)
        return path, read_timeline(path)
    try:
        direction = read_direction(args.text)
    except InputError as exc:
        raise InputError(f"--text: {exc}") from None
    for line in direction_report(direction):
        info(line)
    return "--text", keys_to_json(to_emotion_keys(direction.keys), fps=args.fps or 24.0, duration=direction.duration)


def direction_report(direction):
    """What a text direction understood, as lines for the terminal (list of str): one line per key (time,
    emotion, intensity, transition and easing, hold), then one per skipped word or phrase (its note).
    ``direction``: :class:`facemotion.core.animation.text_direction.Direction`."""
    lines = [
        f"  --text gives {len(direction.keys)} key(s), {direction.duration:g} s in all:",
        f"    {'time':>8s}  {'emotion':<18s} {'intensity':>9s}  {'transition':>10s}  {'easing':<12s} hold",
    ]
    for key in direction.keys:
        lines.append(
            f"    {key.time:6.2f} s  {key.emotion:<18s} {key.intensity:9.2f}  {key.transition:8.2f} s  "
            f"{key.easing:<12s} {key.hold:g} s"
        )
    lines.extend(f"  skipped: {note}" for note in direction.notes)
    return lines


def save_timeline(path, timeline):
    """Write ``timeline`` (``timeline_from_json``'s dict) to ``path`` in the README timeline format, atomically."""
    from ..core.animation.timeline import keys_to_json
    from ..core.io.atomic_io import atomic_write_text

    blinks = {
        "enabled": timeline["blinks"],
        "seed": timeline["blink_seed"],
        "rate_per_minute": timeline["blink_rate_per_minute"],
    }
    noise = {"amplitude": timeline["noise_amplitude"], "seed": timeline["noise_seed"]}
    doc = keys_to_json(timeline["keys"], fps=timeline["fps"], duration=timeline["duration"], blinks=blinks, noise=noise)
    return atomic_write_text(Path(path), json.dumps(doc, indent=1) + "\n")


def finish_animate(args, timeline, info=print):
    """After the animation is written (or instead of it, without ``--out``): ``--save-timeline``. Returns 0."""
    if args.save_timeline is not None:
        if args.fps is not None:
            timeline = {**timeline, "fps": float(args.fps)}
        path = save_timeline(args.save_timeline, timeline)
        info(f"  wrote timeline {path} ({len(timeline['keys'])} keys)")
    return 0


# --- the Emotion panel's choices (EnumProperty items; no bpy needed to build them) ------------------------------


def _items():
    from ..core.emotion.wheel import DYADS, PRIMARIES, PRIMARY_LEVELS

    primaries = [
        (p, p.capitalize(), f"Plutchik's {p}: rings " + " / ".join(PRIMARY_LEVELS[p]), "NONE", i)
        for i, p in enumerate(PRIMARIES)
    ]
    dyads = [
        (
            d,
            d.replace("plutchik_", "Plutchik ").capitalize() if d != "plutchik_contempt" else "Contempt (Plutchik)",
            f"{kind} dyad: {a} (E1) + {b}",
            "NONE",
            i,
        )
        for i, (d, (a, b, kind)) in enumerate(DYADS.items())
    ]
    pair = primaries + [
        ("contempt", "Contempt (EMFACS)", "EMFACS's unilateral contempt preset", "NONE", len(PRIMARIES))
    ]
    return primaries, dyads, pair


#: ``EnumProperty`` items: how the panel picks an expression.
WHEEL_MODE_ITEMS = [
    ("PRIMARY", "Primary", "One primary at one of its three intensity rings", "NONE", 0),
    ("DYAD", "Dyad", "A named dyad of two primaries (love, awe, guilt...)", "NONE", 1),
    ("PAIR", "Pair", "Any two primaries with a mix slider (the first is dominant)", "NONE", 2),
]
#: The three rings of a primary (mild outside, intense inside on the wheel).
WHEEL_LEVEL_ITEMS = [
    ("1", "Mild", "Level 1: the outer ring (e.g. serenity), the preset at half strength", "NONE", 1),
    ("2", "Basic", "Level 2: the primary itself (e.g. joy), its full preset", "NONE", 2),
    ("3", "Intense", "Level 3: the inner ring (e.g. ecstasy), the preset's stronger EMFACS variant", "NONE", 3),
]
#: Blend methods of a dyad or pair (core/emotion/blending.py).
BLEND_ITEMS = [
    (
        "correlation",
        "Correlation",
        "[Ma 2025]'s rule: each emotion's most correlated ARKit channels keep it, the rest is a weighted sum",
        "NONE",
        0,
    ),
    ("linear", "Linear", "Plain weighted sum w1·E1 + w2·E2", "NONE", 1),
    (
        "correlation_weighted",
        "Correlation (dominant)",
        "[Ma 2025]'s rule keeping the first emotion "
        "dominant: each emotion's own channels at its weight over the larger one, the overlap weighted by "
        "weight and correlation",
        "NONE",
        2,
    ),
]
WHEEL_PRIMARY_ITEMS, WHEEL_DYAD_ITEMS, WHEEL_PAIR_ITEMS = _items()


def wheel_choice(props):
    """The Emotion panel's wheel choice from the scene settings ``props``: ``(name, mix, blend, intensity)`` with
    ``name`` a wheel name (ring name, dyad, or ``"first+second"``), ``mix`` None for a primary. Raises InputError:
    a pair of the same emotion twice."""
    from ..core.emotion.wheel import PRIMARY_LEVELS

    mode = props.wheel_mode
    if mode == "PRIMARY":
        return (
            PRIMARY_LEVELS[props.wheel_primary][int(props.wheel_level) - 1],
            None,
            props.wheel_blend,
            float(props.wheel_intensity),
        )
    if mode == "DYAD":
        return props.wheel_dyad, float(props.wheel_mix), props.wheel_blend, float(props.wheel_intensity)
    if props.wheel_first == props.wheel_second:
        raise InputError(f"pick two different emotions for a pair (both are {props.wheel_first})")
    return (
        f"{props.wheel_first}+{props.wheel_second}",
        float(props.wheel_mix),
        props.wheel_blend,
        float(props.wheel_intensity),
    )


def wheel_key_fields(name, mix=None):
    """How a timeline key stores emotion ``name`` when it is not a preset: ``dict`` with ``name`` (canonical wheel
    name for the key's ``wheel_emotion``), ``preset`` (the preset its ``emotion`` enum shows: the primary, or E1 of
    a dyad/pair), ``mix`` (w1 for a dyad or pair, else None). Raises InputError: unknown name (nearest known)."""
    from ..core.emotion.wheel import resolve_wheel_name

    wheel = resolve_wheel_name(name, mix)
    blended = len(wheel.components) == 2
    return {"name": wheel.name, "preset": wheel.components[0][0], "mix": wheel.mix if blended else None}
