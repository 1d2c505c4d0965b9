# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on's settings and their conversion to a timeline bake: ``Scene.facemotion`` and ``Object.facemotion``.

The pose preset, rig, export and recognition settings live in one :class:`FacemotionSceneSettings` per scene; the
emotion timeline (keys, blinks, idle noise) lives on each rigged object in its :class:`FacemotionObjectSettings`,
so two heads in one scene act independently. Both are saved with the .blend, undone with it, and settable from
scripts exactly as the UI sets them (``bpy.context.scene.facemotion.emotion = "happy"``,
``obj.facemotion.timeline_keys``; :func:`add_timeline_key` adds a key the way the Add Key button does).

The Timeline panel and its operators act on :func:`timeline_object`: the active object if it is rigged, else the
first selected rigged face.

Enum items are built from the core tables (:data:`facemotion.core.emotion.presets.EMOTIONS`,
:data:`facemotion.core.animation.timeline.EASINGS`) with explicit numbers, because Blender stores an enum's number in
the
.blend: numbering by table position keeps saved files valid when a later version appends items.
"""

from collections import namedtuple

import bpy
from bpy.props import (
    BoolProperty,
    CollectionProperty,
    EnumProperty,
    FloatProperty,
    FloatVectorProperty,
    IntProperty,
    PointerProperty,
    StringProperty,
)

from ...core.animation.timeline import EASINGS, EmotionKey
from ...core.emotion.presets import CATEGORIES, EMOTIONS, preset_aus
from ...core.errors import InputError
from ..emotion_names import (
    BLEND_ITEMS,
    WHEEL_DYAD_ITEMS,
    WHEEL_LEVEL_ITEMS,
    WHEEL_MODE_ITEMS,
    WHEEL_PAIR_ITEMS,
    WHEEL_PRIMARY_ITEMS,
    wheel_key_fields,
)
from ..selection import is_landmark_object, is_rigged, rigged_meshes

__all__ = [
    "EMOTION_ITEMS",
    "EASING_ITEMS",
    "EXPORT_FORMATS",
    "SPEECH_INPUT_ITEMS",
    "SPEECH_SOURCE_ITEMS",
    "FacemotionObjectSettings",
    "FacemotionSceneSettings",
    "FacemotionTimelineKey",
    "TimelineKeyEdit",
    "add_timeline_key",
    "classes",
    "frame_to_time",
    "object_settings",
    "recognized_probabilities",
    "register_scene_properties",
    "scene_fps",
    "settings",
    "timeline_object",
    "timeline_settings",
    "unregister_scene_properties",
]


def _emotion_description(name):
    aus = preset_aus(name)
    if not aus:
        return "Neutral: all 52 ARKit weights at 0"
    return f"{name.capitalize()}: FACS action units {'+'.join(aus)} (see core/emotion/presets.py)"


def _emotion_items():
    """The 8 classification categories, a separator, then the Plutchik primaries that are not categories."""
    items = []
    for number, name in enumerate(EMOTIONS):
        if name not in CATEGORIES and items and items[-1] is not None and items[-1][0] in CATEGORIES:
            items.append(None)  # a separator line in the drop-down menu
        items.append((name, name.capitalize(), _emotion_description(name), "NONE", number))
    return items


#: ``EnumProperty`` items of the emotion presets: ``(identifier, label, description, icon, number)`` or None.
EMOTION_ITEMS = _emotion_items()

_EASING_LABELS = {
    "ease_in_out": "Ease In-Out (smoothstep)",
    "cubic": "Cubic (smootherstep)",
    "back": "Back (overshoot)",
}
#: ``EnumProperty`` items of the transition easings (core/animation/timeline.py documents the formulas).
EASING_ITEMS = [
    (name, _EASING_LABELS.get(name, name.replace("_", " ").title()), f"Easing '{name}'", "NONE", number)
    for number, name in enumerate(EASINGS)
]

#: Export formats: identifier -> (file suffix, label).
EXPORT_FORMATS = {
    "GLB": (".glb", "glTF Binary (.glb)"),
    "GLTF": (".gltf", "glTF Separate (.gltf + .bin)"),
    "FBX": (".fbx", "FBX (.fbx)"),
}
_FORMAT_ITEMS = [
    (key, label, f"Write {label}", "NONE", number) for number, (key, (_, label)) in enumerate(EXPORT_FORMATS.items())
]


class FacemotionTimelineKey(bpy.types.PropertyGroup):
    """One emotion key of an object's timeline (a :class:`facemotion.core.animation.timeline.EmotionKey` in the UI)."""

    time: FloatProperty(
        name="Time",
        description="Seconds from the timeline's start (scene frame 1) at which the emotion is fully reached",
        min=0.0,
        soft_max=600.0,
        default=0.0,
        subtype="TIME_ABSOLUTE",
        precision=3,
    )
    emotion: EnumProperty(
        name="Emotion", description="Emotion preset of this key", items=EMOTION_ITEMS, default="neutral"
    )
    intensity: FloatProperty(
        name="Intensity",
        description="How strongly the preset is shown (0 neutral, 1 full)",
        min=0.0,
        max=1.0,
        default=1.0,
        subtype="FACTOR",
    )
    transition: FloatProperty(
        name="Transition",
        description="Seconds of blending from the previous key, ending at "
        "this key's time (at most the gap to the previous key)",
        min=0.0,
        soft_max=5.0,
        default=0.5,
        subtype="TIME_ABSOLUTE",
        precision=3,
    )
    easing: EnumProperty(
        name="Easing", description="How the transition accelerates", items=EASING_ITEMS, default="ease_in_out"
    )
    # A wheel expression (ring, dyad or pair "a+b", core/emotion/vocabulary.py) replacing `emotion`
    # when set; `emotion` then shows its primary / first emotion. Kept apart so saved files' enum stays valid.
    wheel_emotion: StringProperty(
        name="Wheel Emotion",
        description="Plutchik wheel name of this key (e.g. love, ecstasy, joy+trust); empty: the Emotion preset",
        default="",
    )
    mix: FloatProperty(
        name="Mix",
        description="Weight of the first (dominant) emotion of a dyad or pair",
        min=0.0,
        max=1.0,
        default=0.6,
        subtype="FACTOR",
    )
    blend: EnumProperty(
        name="Blend", description="How a dyad or pair blends its two emotions", items=BLEND_ITEMS, default="correlation"
    )


class FacemotionObjectSettings(bpy.types.PropertyGroup):
    """Per-object facemotion settings (``Object.facemotion``): the object's emotion timeline, blinks and idle noise.

    Each rigged face has its own timeline, baked onto it by Bake Timeline; on other objects the group stays empty.
    """

    timeline_keys: CollectionProperty(type=FacemotionTimelineKey, name="Timeline Keys")
    active_key_index: IntProperty(name="Active Key", default=0, min=0)
    blinks: BoolProperty(
        name="Blinks", description="Add seeded spontaneous blinks (17 per minute by default)", default=True
    )
    blink_seed: IntProperty(
        name="Blink Seed", description="Random seed of the blink times (same seed, same blinks)", default=0, min=0
    )
    blink_rate: FloatProperty(
        name="Blink Rate",
        description="Blinks per minute (about 17 at rest, 26 talking, 4.5 reading)",
        min=0.0,
        max=60.0,
        default=17.0,
    )
    noise_amplitude: FloatProperty(
        name="Idle Noise",
        description="Amplitude of subtle random brow and mouth-corner motion (0 off; 0.01-0.05 is subtle)",
        min=0.0,
        max=1.0,
        soft_max=0.1,
        default=0.0,
        precision=3,
    )
    noise_seed: IntProperty(name="Noise Seed", description="Random seed of the idle noise", default=0, min=0)


#: The Speech panel's voice and emotion-source choices (numbers fixed: Blender stores them in the .blend).
SPEECH_INPUT_ITEMS = [
    ("FILE", "File", "A WAV or FLAC file", 0),
    ("STRIP", "Sound Strip", "A sound strip of the scene's sequencer", 1),
]
SPEECH_SOURCE_ITEMS = [
    ("transcript", "Transcript's Words", "The emotion words of the transcript, where they are spoken", 0),
    ("emotion", "Emotion Panel", "The Emotion panel's emotion throughout, at the chosen level", 1),
    ("text", "Direction Text", "The Emotion panel's direction sentence", 2),
    ("timeline", "Face's Timeline", "The selected face's own timeline keys", 3),
    (
        "prosody",
        "Voice (Prosody)",
        "The voice's arousal sets the level of the Emotion panel's emotion (it cannot tell which emotion)",
        4,
    ),
    ("none", "None", "Lips only, neutral face", 5),
]


class FacemotionSceneSettings(bpy.types.PropertyGroup):
    """Per-scene facemotion settings: the pose preset, rig options, export and recognition (the emotion timeline
    is per object: :class:`FacemotionObjectSettings`)."""

    # Pose / rig
    emotion: EnumProperty(
        name="Emotion",
        description="Emotion preset to apply to the selected rigged faces",
        items=EMOTION_ITEMS,
        default="happy",
    )
    intensity: FloatProperty(
        name="Intensity",
        description="How strongly the preset is shown (0 neutral, 1 full)",
        min=0.0,
        max=1.0,
        default=1.0,
        subtype="FACTOR",
    )
    replace_keys: BoolProperty(
        name="Replace Existing Keys",
        description="Rigging overwrites ARKit shape keys "
        "facemotion made before; shape keys you made yourself are never overwritten",
        default=False,
    )
    drive_bones: BoolProperty(
        name="Drive Jaw / Eye Bones",
        description="For a character skinned to an armature with jaw and eye bones (jaw, eye.L, CC_Base_JawRoot, "
        "lEye...): jawOpen and eyeLook* turn those bones with drivers, instead of turning the teeth and eyeballs "
        "in the shape keys",
        default=False,
    )
    # Pose: Plutchik's wheel (the Emotion panel; facemotion_addon/emotion_names.py builds the items)
    wheel_mode: EnumProperty(
        name="Pick",
        description="Pick a primary at a ring, a named dyad or two primaries",
        items=WHEEL_MODE_ITEMS,
        default="PRIMARY",
    )
    wheel_primary: EnumProperty(
        name="Primary", description="Plutchik primary", items=WHEEL_PRIMARY_ITEMS, default="joy"
    )
    wheel_level: EnumProperty(
        name="Ring", description="Intensity ring of the primary", items=WHEEL_LEVEL_ITEMS, default="2"
    )
    wheel_dyad: EnumProperty(
        name="Dyad", description="Named dyad (its first emotion is dominant)", items=WHEEL_DYAD_ITEMS, default="love"
    )
    wheel_first: EnumProperty(
        name="Dominant", description="First (dominant) emotion of the pair, E1", items=WHEEL_PAIR_ITEMS, default="joy"
    )
    wheel_second: EnumProperty(
        name="Second", description="Second emotion of the pair, E2", items=WHEEL_PAIR_ITEMS, default="trust"
    )
    wheel_mix: FloatProperty(
        name="Mix",
        description="Weight of the dominant emotion (1: only it, 0.5: even)",
        min=0.0,
        max=1.0,
        default=0.6,
        subtype="FACTOR",
    )
    wheel_blend: EnumProperty(
        name="Blend", description="How the two emotions are blended", items=BLEND_ITEMS, default="correlation"
    )
    wheel_intensity: FloatProperty(
        name="Intensity",
        description="How strongly the expression is shown",
        min=0.0,
        max=1.0,
        default=1.0,
        subtype="FACTOR",
    )
    wheel_preset_name: StringProperty(
        name="Name", description="Name of the expression preset to save", default="my expression"
    )
    direction_text: StringProperty(
        name="Direction",
        description="A sentence such as 'start calm, grow annoyed, "
        "then burst into laughter and end hopeful' (Apply Text makes timeline keys)",
        default="",
    )

    # Speech (the Speech panel; facemotion.speak)
    speech_input: EnumProperty(
        name="Voice", description="Where the voice comes from", items=SPEECH_INPUT_ITEMS, default="FILE"
    )
    speech_audio: StringProperty(
        name="Sound File", description="The voice: a WAV or FLAC file", default="", subtype="FILE_PATH"
    )
    speech_strip: StringProperty(
        name="Sound Strip",
        description="A sound strip of the scene's sequencer (the speech is keyed from the strip's start frame)",
        default="",
    )
    speech_transcript: StringProperty(
        name="Transcript",
        description="The spoken words (forced alignment, and the emotion from the words); empty: phones are recognised",
        default="",
    )
    speech_source: EnumProperty(
        name="Emotion From",
        description="Where the face's emotion comes from",
        items=SPEECH_SOURCE_ITEMS,
        default="transcript",
    )
    speech_level: EnumProperty(
        name="Level",
        description="Intensity level of the Emotion panel's emotion (1 mild, 2 basic, 3 intense)",
        items=WHEEL_LEVEL_ITEMS,
        default="2",
    )
    speech_visemes: BoolProperty(
        name="Viseme Shape Keys",
        description="Add the 15 viseme_* shape keys (built from "
        "the ARKit keys) and key the speech on them; the emotion stays on the ARKit keys",
        default=False,
    )
    speech_window: FloatProperty(
        name="Window",
        description="Emotion window t [ECAvatar 2024]: each window of this many seconds gets one dominant emotion",
        min=0.1,
        soft_max=5.0,
        default=0.5,
        subtype="TIME_ABSOLUTE",
        precision=2,
    )
    speech_transition: FloatProperty(
        name="Transition",
        description="Linear cross-fade t_trans between windows (at most the window)",
        min=0.0,
        soft_max=5.0,
        default=0.25,
        subtype="TIME_ABSOLUTE",
        precision=2,
    )

    # Export
    export_path: StringProperty(
        name="Export Path",
        description="File the Export button suggests (the last export)",
        default="",
        subtype="FILE_PATH",
    )
    export_format: EnumProperty(
        name="Format", description="File format of the export", items=_FORMAT_ITEMS, default="GLB"
    )

    # Recognize: inputs
    recognize_image: PointerProperty(
        type=bpy.types.Image,
        name="Image",
        description="Blender image to recognise the emotion in (Recognize > Blender Image)",
    )
    recognize_every_n: IntProperty(
        name="Every Nth Frame",
        description="Classify every Nth frame of the video (1: every frame; larger is faster)",
        min=1,
        soft_max=60,
        default=5,
    )
    recognize_min_hold: FloatProperty(
        name="Min Hold",
        description="Emotions shown for less than this many seconds "
        "are treated as flicker and merged into their neighbours",
        min=0.0,
        soft_max=5.0,
        default=0.5,
        subtype="TIME_ABSOLUTE",
        precision=2,
    )
    recognize_reference: EnumProperty(
        name="Reference",
        description="What each video frame is judged against",
        items=[
            (
                "CALM",
                "Calm Frames",
                (
                    "The actor's own calmest second of the video, found automatically (the "
                    "relative model judges what the face changes from it)"
                ),
            ),
            ("RANGE", "Frame Range", "The frames from First to Last, chosen by you (the actor at rest)"),
            ("NONE", "None", "Each frame alone (the model without reference)"),
        ],
        default="CALM",
    )
    recognize_reference_first: IntProperty(
        name="First",
        description="First frame of the reference range (frame indices of the video, from 0)",
        min=0,
        default=0,
    )
    recognize_reference_last: IntProperty(
        name="Last", description="Last frame of the reference range (included)", min=0, default=24
    )
    recognize_replace_keys: BoolProperty(
        name="Replace Keys",
        description="The video's emotion track replaces the "
        "timeline's keys; otherwise it is appended after the last key",
        default=False,
    )

    # Recognize: the last result (read by the Recognize panel; written by the facemotion.detect_emotion_* operators)
    recognized_label: StringProperty(
        name="Emotion", description="Top class of the last recognition ('' before any)", default=""
    )
    recognized_intensity: FloatProperty(
        name="Intensity",
        description="How strongly the recognised emotion shows (0..1)",
        min=0.0,
        max=1.0,
        default=0.0,
        subtype="FACTOR",
    )
    recognized_probabilities: FloatVectorProperty(
        name="Probabilities",
        description="Probability of each class, in the order " + ", ".join(CATEGORIES),
        size=len(CATEGORIES),
        min=0.0,
        max=1.0,
        default=(0.0,) * len(CATEGORIES),
    )
    recognized_source: StringProperty(name="Source", description="What the last recognition looked at", default="")
    recognized_uncertain: BoolProperty(
        name="Uncertain",
        description="The last result's top class was not clearly ahead of the second, or no channel backed it "
        "(core/emotion/fusion.py)",
        default=False,
    )
    recognized_faces: IntProperty(name="Faces", description="Faces found by the last recognition", default=0, min=0)

    # Capture (facemotion_addon/takes.py, review_camera.py)
    capture_head: BoolProperty(
        name="Head Motion",
        description="Key the head's rotation (and a video's head position) on the face, or on the head bone",
        default=True,
    )
    capture_head_bone: StringProperty(
        name="Head Bone",
        description="Pose bone of the face's armature that turns with the head (empty: the face object itself)",
        default="",
    )
    capture_eye_bone_left: StringProperty(
        name="Left Eye Bone",
        description="Pose bone of the subject's left eye, turned by the captured gaze (empty: the eyes turn with the "
        "eyeLook* shape keys only)",
        default="",
    )
    capture_eye_bone_right: StringProperty(
        name="Right Eye Bone",
        description="Pose bone of the subject's right eye (set both eye bones or neither)",
        default="",
    )
    capture_eye_objects: BoolProperty(
        name="Eye Objects",
        description="Turn eyeballs that are separate objects about their own centres by the captured gaze (their "
        "eyeLook* keys are then kept at 0, so they do not turn twice; the lids still follow). Off: the eyeLook* "
        "shape keys turn them",
        default=False,
    )
    capture_emotion: BoolProperty(
        name="Emotion Track",
        description="Classify the video's emotion (every 3rd frame, against its calm frames) and key it as the "
        "face's 'facemotion_emotion' property, with a timeline marker where it changes",
        default=True,
    )
    capture_background: BoolProperty(
        name="Video as Camera Background",
        description="Show the captured video behind the rig in the scene camera's view, for review",
        default=False,
    )

    # Status
    last_report: StringProperty(name="Last Result", description="Result of the last facemotion operation", default="")


classes = (FacemotionTimelineKey, FacemotionObjectSettings, FacemotionSceneSettings)


def settings(scene):
    """The scene's :class:`FacemotionSceneSettings` (``scene.facemotion``); the add-on must be registered."""
    return scene.facemotion


def scene_fps(scene):
    """The scene's frame rate in frames per second (``render.fps / render.fps_base``, e.g. 29.97)."""
    return scene.render.fps / scene.render.fps_base


def frame_to_time(scene, frame):
    """Seconds of scene frame ``frame`` on a facemotion timeline: the scene's start frame is 0 s, as Bake Timeline
    keys it by default (its Start Frame option); frames before the start give 0."""
    return max(0.0, (frame - scene.frame_start) / scene_fps(scene))


def _snap_to_frame(time, fps):
    # FloatProperty stores float32: 1/3 s comes back as 0.33333334. Snapping a time within 1e-5 s of a frame onto
    # that frame's exact time keeps a key added at a frame landing exactly on it in the bake.
    frame = round(time * fps)
    exact = frame / fps
    return exact if abs(exact - time) < 1e-5 else time


def object_settings(obj):
    """The object's :class:`FacemotionObjectSettings` (``obj.facemotion``: its timeline); the add-on must be
    registered."""
    return obj.facemotion


def timeline_object(context):
    """The object whose timeline the Timeline panel shows and its operators edit: the active object if it is a rigged
    face (a mesh with all 52 ARKit shape keys, not a landmark object), else the first selected rigged face
    (:func:`facemotion.facemotion_addon.selection.rigged_meshes`), else None.

    Public for other operators that write timeline keys (e.g. from text or a video): they call this, then
    :func:`add_timeline_key`.
    """
    if hasattr(context, "active_object"):
        active = context.active_object
    else:  # a context without the 3D viewport's members (a timer, a handler)
        active = context.view_layer.objects.active if getattr(context, "view_layer", None) is not None else None
    if active is not None and not is_landmark_object(active) and is_rigged([active]):
        return active
    rigged = rigged_meshes(context)
    return rigged[0] if rigged else None


#: What :func:`add_timeline_key` did: ``index`` of the key in the (time-ordered) list, ``added`` (False: the key
#: already at that time was updated), ``shortened`` (the next key's new transition in seconds, or None).
TimelineKeyEdit = namedtuple("TimelineKeyEdit", "index added shortened")

_DEFAULT_TRANSITION = 0.5  # seconds, the timeline's default (core.animation.timeline.EmotionKey)


def add_timeline_key(
    obj, time, emotion, intensity=1.0, transition=None, easing=None, *, same_within=1e-6, mix=None, blend=None
):
    """Add an emotion key to ``obj``'s timeline the way the Timeline panel's Add Key does, keeping the list in time
    order and the transitions from overlapping.

    ``time``: seconds from the timeline's start (>= 0); ``emotion``: the emotion's name (a key of
    :data:`facemotion.core.emotion.presets.EMOTIONS`); ``intensity`` in [0, 1]; ``transition``: seconds of blending
    from the previous key (None: 0.5 s), cut to the gap since the previous key; ``easing``: a name of
    :data:`facemotion.core.animation.timeline.EASINGS` (None: ``ease_in_out``). A key already less than
    ``same_within`` seconds from ``time`` is updated instead (emotion, intensity, and transition/easing when given;
    Add Key passes half a frame). ``emotion``
    may also be a wheel name or pair (``"love"``, ``"ecstasy"``, ``"joy+trust"``) with ``mix`` (w1, None: the
    default) and ``blend`` (``"correlation"``/``"linear"``; None: correlation). When the new
    key falls inside the next key's transition, that transition is shortened to end at the new key.
    Sets the object's active key to it. Returns a :data:`TimelineKeyEdit`.
    Raises :class:`~facemotion.core.errors.InputError` for a negative or non-finite time, an intensity outside
    [0, 1], or an unknown emotion or easing (the timeline is left unchanged then).
    """
    props = object_settings(obj)
    keys = props.timeline_keys
    time, intensity = float(time), float(intensity)
    if not time >= 0.0 or time == float("inf"):
        raise InputError(f"timeline key time {time!r} s is not a time >= 0; give seconds from the timeline's start")
    if not 0.0 <= intensity <= 1.0:
        raise InputError(f"timeline key intensity {intensity!r} is outside 0..1")
    if easing is not None and easing not in EASINGS:
        raise InputError(f"unknown easing {easing!r}; use one of {', '.join(EASINGS)}")
    wheel = None if emotion in EMOTIONS and mix is None else wheel_key_fields(emotion, mix)  # InputError: unknown
    if blend is not None and blend not in ("correlation", "linear", "correlation_weighted"):
        raise InputError(f"unknown blend {blend!r}; use correlation, linear or correlation_weighted")
    existing = next((i for i, item in enumerate(keys) if abs(item.time - time) < same_within), None)
    added = existing is None
    item = keys.add() if added else keys[existing]
    try:
        item.emotion = emotion if wheel is None else wheel["preset"]
    except TypeError:  # an EnumProperty refuses a name it does not list
        if added:
            keys.remove(len(keys) - 1)
        raise InputError(
            f"unknown emotion {emotion!r} for a timeline key; pick one of the Emotion panel's presets"
        ) from None
    item.wheel_emotion = "" if wheel is None else wheel["name"]
    if wheel is not None and wheel["mix"] is not None:
        item.mix = wheel["mix"]
    item.blend = blend or "correlation"
    item.intensity = intensity
    if not added:
        if transition is not None:
            previous = [other.time for other in keys if other.time < item.time]
            gap = item.time - max(previous) if previous else None
            item.transition = max(0.0, float(transition)) if gap is None else min(max(0.0, float(transition)), gap)
        if easing is not None:
            item.easing = easing
        props.active_key_index = existing
        return TimelineKeyEdit(existing, False, None)

    item.time, item.easing = time, easing or "ease_in_out"
    # Move it to its place by time, so the list in the sidebar reads like the timeline.
    index = sum(1 for i, other in enumerate(keys) if i != len(keys) - 1 and other.time < time)
    if index != len(keys) - 1:
        keys.move(len(keys) - 1, index)
    item = keys[index]
    # Transitions may not overlap (a key blends in over at most the gap since the previous key): fit the new key's
    # transition into its gap, and shorten the next key's if the new key now sits inside it.
    wanted = _DEFAULT_TRANSITION if transition is None else max(0.0, float(transition))
    item.transition = wanted if index == 0 else min(wanted, time - keys[index - 1].time)
    shortened = None
    if index + 1 < len(keys):
        following = keys[index + 1]
        gap = following.time - item.time
        if following.transition > gap:
            following.transition = gap
            shortened = gap
    props.active_key_index = index
    return TimelineKeyEdit(index, True, shortened)


def timeline_settings(obj, scene):
    """``obj``'s timeline (:func:`object_settings`) at ``scene``'s frame rate as
    :func:`facemotion.core.animation.timeline.bake_timeline` keyword arguments.

    Keys are sorted by time (the list in the UI may be in any order); each becomes an
    :class:`~facemotion.core.animation.timeline.EmotionKey`. Returns a dict with ``keys`` (list of EmotionKey),
    ``fps`` (the scene's frame rate), ``duration`` (None: the last key's time), ``blinks``, ``blink_seed``,
    ``blink_rate_per_minute``, ``noise_amplitude`` and ``noise_seed``. Validation (empty timeline, overlapping
    transitions...) is left to the bake, which raises :class:`~facemotion.core.errors.TimelineError` naming the key
    by its index in time order, its time and its emotion.
    """
    props = object_settings(obj)
    fps = scene_fps(scene)
    items = sorted(props.timeline_keys, key=lambda item: item.time)
    keys = [
        EmotionKey(
            time=_snap_to_frame(float(item.time), fps),
            emotion=item.wheel_emotion or item.emotion,
            intensity=float(item.intensity),
            transition=float(item.transition),
            easing=item.easing,
            mix=float(item.mix)
            if item.wheel_emotion and wheel_key_fields(item.wheel_emotion)["mix"] is not None
            else None,
            blend=item.blend,
        )
        for item in items
    ]
    return {
        "keys": keys,
        "fps": fps,
        "duration": None,
        "blinks": bool(props.blinks),
        "blink_seed": int(props.blink_seed),
        "blink_rate_per_minute": float(props.blink_rate),
        "noise_amplitude": float(props.noise_amplitude),
        "noise_seed": int(props.noise_seed),
    }


def recognized_probabilities(scene):
    """The last recognition's probabilities as ``{category: p}`` in :data:`CATEGORIES` order (all 0 before any)."""
    return dict(zip(CATEGORIES, (float(p) for p in settings(scene).recognized_probabilities)))


def register_scene_properties():
    """Attach ``Scene.facemotion`` and ``Object.facemotion``; the property-group classes must be registered first."""
    bpy.types.Scene.facemotion = PointerProperty(type=FacemotionSceneSettings, name="Facemotion")
    bpy.types.Object.facemotion = PointerProperty(type=FacemotionObjectSettings, name="Facemotion")


def unregister_scene_properties():
    """Remove ``Object.facemotion`` and ``Scene.facemotion`` (before their classes are unregistered)."""
    for owner in (bpy.types.Object, bpy.types.Scene):
        if hasattr(owner, "facemotion"):
            del owner.facemotion
