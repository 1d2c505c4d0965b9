# SPDX-License-Identifier: GPL-3.0-or-later
"""Speak: a voice (a sound file or a sound strip) becomes lip sync and an emotion on the selected rigged faces
(:func:`facemotion.core.speech.talking_face.talking_face`), keyed as one action per face.

The Speech panel's settings (``Scene.facemotion.speech_*``) choose the voice, the transcript and where the emotion
comes from (the transcript's words, the Emotion panel's emotion or direction sentence, the face's own timeline, the
voice's prosody, or none). The speech runs in a worker thread (modal, with progress; Esc cancels and nothing
changes); the keys are written at the end, from the strip's start frame for a strip, else the scene's start frame.
With Viseme Shape Keys the 15 ``viseme_*`` keys are added (never over a user's own) and the speech is keyed on them.
"""

import bpy

from ..core.errors import InputError
from ..facemotion_addon import compat, pipeline
from ..facemotion_addon.selection import rigged_meshes
from ..facemotion_addon.settings.properties import scene_fps, settings, timeline_object, timeline_settings
from ..facemotion_addon.viseme_keys import add_viseme_keys
from .base import Job, JobOperator

__all__ = ["FACEMOTION_OT_speak", "SpeakJob", "classes", "voice_of"]


def voice_of(scene):
    """``(audio file path, frame of its time 0)`` the Speech panel points at. Raises InputError: no file or strip
    chosen, a strip that is gone or not a sound strip."""
    props = settings(scene)
    if props.speech_input == "STRIP":
        strip = next((s for s in compat.sound_strips(scene) if s.name == props.speech_strip), None)
        if strip is None or strip.sound is None:
            raise InputError(
                f"no sound strip named {props.speech_strip!r} in the sequencer; pick one in the Speech panel"
            )
        path = bpy.path.abspath(strip.sound.filepath, library=strip.sound.library)
        return path, round(compat.sound_strip_start(strip))
    if not props.speech_audio.strip():
        raise InputError("choose the voice's sound file (WAV or FLAC) in the Speech panel first")
    return bpy.path.abspath(props.speech_audio), int(scene.frame_start)


class SpeakJob(Job):
    """Read the voice and the settings (main thread), run the speech (worker), key it (main thread)."""

    title = "Speaking"

    def __init__(self, objects):
        self.objects = objects

    def prepare(self, context):
        scene = context.scene
        props = settings(scene)
        self.scene = scene
        self.path, self.frame_start = voice_of(scene)
        self.fps = scene_fps(scene)
        self.visemes = bool(props.speech_visemes)
        source = props.speech_source
        options = {
            "transcript": props.speech_transcript.strip() or None,
            "source": source,
            "window": float(props.speech_window),
            "transition": float(props.speech_transition),
        }
        if source in ("emotion", "prosody"):
            options.update(emotion=props.emotion, level=int(props.speech_level))
        elif source == "text":
            options["text"] = props.direction_text
        elif source == "timeline":
            lead = timeline_object(context)
            options["timeline"] = timeline_settings(lead, scene)["keys"] if lead is not None else []
        self.options = options

    def compute(self, progress):
        from ..core.speech.audio import read_audio
        from ..core.speech.talking_face import speech_channels, talking_face

        progress(0.05, "Reading the voice")
        samples, _ = read_audio(self.path)
        progress(0.2, "Aligning the speech")
        self.face = talking_face(samples, self.fps, **self.options)
        self.weights, self.names = speech_channels(self.face, "visemes" if self.visemes else "arkit")
        progress(1.0, "Speech done")

    def apply(self, context):
        notes = list(self.face.notes)
        if self.visemes:
            for obj in self.objects:
                _, missing = add_viseme_keys(obj, replace=True)
                if missing:
                    notes.append(f"{obj.name} has no {', '.join(missing)}")
        results = pipeline.write_bake(
            self.objects,
            self.weights,
            self.face.fps,
            scene=self.scene,
            frame_start=self.frame_start,
            set_frame_range=False,
            names=self.names,
        )
        words = len(self.face.alignment.words)
        emotions = " -> ".join(dict.fromkeys(self.face.labels))
        message = (
            f"Spoke {self.face.duration:.2f} s ({words} words aligned) on "
            f"{', '.join(obj.name for obj in self.objects)} from frame {self.frame_start}: "
            f"{sum(r.keys for r in results)} keys; emotion {emotions}"
        )
        return ("WARNING", message + "; " + "; ".join(notes)) if notes else message


class FACEMOTION_OT_speak(JobOperator, bpy.types.Operator):
    """Lip sync and emotion from the Speech panel's voice, keyed on the selected rigged faces"""

    bl_idname = "facemotion.speak"
    bl_label = "Speak"
    requires = "rigged"

    def make_job(self, context):
        return SpeakJob(rigged_meshes(context))


classes = (FACEMOTION_OT_speak,)
