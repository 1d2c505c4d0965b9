# SPDX-License-Identifier: GPL-3.0-or-later
"""Speech to an emotional talking face (core.speech) on speech made by espeak-ng (known words, known pauses)."""

import numpy as np
import pytest
import speech_samples

from facemotion.core.arkit import ARKIT_INDEX, ARKIT_NAMES
from facemotion.core.errors import InputError
from facemotion.core.speech.audio import SPEECH_RATE, read_audio, to_speech_rate
from facemotion.core.speech.lipsync import CLOSE_SILENCE_S, SILENCE_RAMP_S, lip_sync
from facemotion.core.speech.phones import align_transcript, recognize_phones, speech_model
from facemotion.core.speech.talking_face import UPPER_FACE, talking_face
from facemotion.core.speech.visemes import LIP_CHANNELS, PHONEME_VISEMES, VISEMES, viseme_matrix

FPS = 24

pytestmark = pytest.mark.skipif(
    not speech_samples.espeak_available(),
    reason="espeak-ng is not installed (apt-get install espeak-ng; .ci/run installs it)",
)


def _frames(duration):
    return int(np.floor(duration * FPS + 0.5)) + 1


@pytest.fixture(scope="module")
def bilabials(tmp_path_factory):
    path = speech_samples.speak_to_wav(speech_samples.BILABIALS, tmp_path_factory.mktemp("speech") / "b.wav")
    samples, duration = read_audio(path)
    alignment = align_transcript(samples, speech_samples.BILABIALS.replace("<break time='700ms'/>", ""))
    return samples, duration, alignment, lip_sync(alignment, samples, FPS, _frames(duration))


@pytest.fixture(scope="module")
def emotion_turn(tmp_path_factory):
    path = speech_samples.speak_to_wav(speech_samples.EMOTION_TURN, tmp_path_factory.mktemp("speech") / "e.wav")
    samples, _ = read_audio(path)
    return samples, talking_face(samples, FPS, transcript=speech_samples.EMOTION_TURN)


def test_alignment_keeps_every_word(bilabials):
    """bestpath=False: the last words are aligned too, in order, inside the audio."""
    _, duration, alignment, _ = bilabials
    words = [w.word for w in alignment.words]
    assert words == ["peter", "bought", "a", "map", "bob", "mumbled", "maybe", "a", "bumpy", "bus"]
    assert all(0 <= w.start < w.end <= duration + 0.01 for w in alignment.words)


def test_bilabials_close_the_lips_within_a_frame(bilabials):
    """Every aligned p, b, m reaches a sealed, pressed mouth within one frame of the phone at 24 fps."""
    _, _, alignment, lips = bilabials
    press, close, jaw = (lips.arkit[:, ARKIT_INDEX[n]] for n in ("mouthPressLeft", "mouthClose", "jawOpen"))
    closures = [p for p in alignment.phones if p.phone in ("P", "B", "M")]
    assert len(closures) >= 10
    for phone in closures:
        lo = max(int(np.floor(phone.start * FPS)) - 1, 0)
        hi = int(np.ceil(phone.end * FPS)) + 1
        frames = np.arange(lo, min(hi + 1, len(press)))
        sealed = frames[(press[frames] >= 0.5) & (np.abs(close[frames] - jaw[frames]) < 1e-6)]
        assert sealed.size, f"{phone.phone} at {phone.start:.2f}-{phone.end:.2f} s never closes the lips"


def test_long_silences_close_the_mouth(bilabials):
    _, _, alignment, lips = bilabials
    long_pauses = [p for p in alignment.phones if p.phone == "SIL" and p.end - p.start >= CLOSE_SILENCE_S]
    assert any(0.5 < p.end - p.start for p in long_pauses)  # the 700 ms SSML break
    lip_columns = [ARKIT_INDEX[n] for n in LIP_CHANNELS]
    for pause in long_pauses:
        lo = pause.start + SILENCE_RAMP_S if pause.start > 0 else 0.0
        frames = np.arange(int(np.ceil(lo * FPS)), int(np.floor((pause.end - SILENCE_RAMP_S) * FPS)) + 1)
        frames = frames[frames < len(lips.arkit)]
        assert np.all(lips.arkit[np.ix_(frames, lip_columns)] == 0.0)
        assert np.all(lips.speaking[frames] == 0.0)


def test_jaw_follows_the_speech_envelope(bilabials):
    _, _, _, lips = bilabials
    r = np.corrcoef(lips.arkit[:, ARKIT_INDEX["jawOpen"]], lips.loudness)[0, 1]
    print(f"jawOpen vs RMS envelope: r = {r:.3f}")
    assert r > 0.6


def test_transcript_words_drive_the_upper_face_in_order(emotion_turn):
    """'so happy ... but now I am furious': joy (level 2, the basic ring), then anger at level 3 ("furious" = rage,
    the intense ring), on the upper face ([ECAvatar 2024]'s category and level per window)."""
    _, face = emotion_turn
    assert face.source == "transcript"
    runs = [(face.labels[0], face.levels[0])] + [
        (b, lb) for a, b, lb in zip(face.labels, face.labels[1:], face.levels[1:]) if a != b
    ]
    assert runs == [("joy", 2), ("anger", 3)]
    assert [key.emotion for key in face.keys] == ["joy", "rage"]
    happy = face.weights[:, ARKIT_INDEX["cheekSquintLeft"]]
    angry = face.weights[:, ARKIT_INDEX["browDownLeft"]]
    turn = face.labels.index("anger")  # halfway through the 0.25 s (6 frame) cross-fade
    assert happy[: turn - 3].mean() > 0.3 > angry[: turn - 3].max()
    assert angry[turn + 3 :].min() > 0.3 > happy[turn + 3 :].max()


def test_lips_from_speech_upper_face_from_emotion(emotion_turn):
    samples, face = emotion_turn
    calm = talking_face(samples, FPS, transcript=speech_samples.EMOTION_TURN, source="none", blinks=False)
    upper = [ARKIT_INDEX[n] for n in UPPER_FACE if not n.startswith("eyeBlink")]
    lips = [ARKIT_INDEX[n] for n in LIP_CHANNELS]
    speaking = face.speaking > 0.99
    # While speaking the speech channels are the same whatever the emotion; the upper face differs.
    np.testing.assert_allclose(face.weights[np.ix_(speaking, lips)], calm.weights[np.ix_(speaking, lips)], atol=0.01)
    assert np.abs(face.weights[:, upper] - calm.weights[:, upper]).max() > 0.3
    # A constant smile is damped by half while speaking and back in full in the pauses.
    joy = talking_face(samples, FPS, transcript=speech_samples.EMOTION_TURN, emotion="joy", blinks=False)
    smile = joy.weights[:, ARKIT_INDEX["mouthSmileLeft"]]
    assert (joy.speaking == 0).any()
    np.testing.assert_allclose(smile[joy.speaking == 1.0], 0.5 * smile[joy.speaking == 0].max(), rtol=1e-5)


def test_same_input_same_result_after_other_audio(bilabials, emotion_turn):
    samples, _, alignment, _ = bilabials
    recognize_phones(emotion_turn[0])
    again = align_transcript(samples, speech_samples.BILABIALS.replace("<break time='700ms'/>", ""))
    assert again.phones == alignment.phones


def test_phone_recognition_without_transcript(bilabials):
    samples, duration, _, _ = bilabials
    face = talking_face(samples, 30, emotion="joy", level=1)
    assert face.weights.shape == (int(np.floor(duration * 30 + 0.5)) + 1, len(ARKIT_NAMES))
    assert face.visemes.shape[1] == len(VISEMES)
    assert face.alignment.words == [] and len(face.alignment.phones) > 5
    assert face.weights[:, ARKIT_INDEX["jawOpen"]].max() > 0.1
    assert set(face.levels.tolist()) == {1}


def test_prosody_sets_levels_only_with_a_named_emotion(emotion_turn):
    samples, _ = emotion_turn
    with pytest.raises(InputError, match="emotion name"):
        talking_face(samples, FPS, transcript=speech_samples.EMOTION_TURN, source="prosody")
    face = talking_face(samples, FPS, transcript=speech_samples.EMOTION_TURN, source="prosody", emotion="rage")
    assert set(face.labels) == {"anger"}
    assert set(face.levels.tolist()) <= {1, 2, 3}


def test_unknown_words_are_skipped_and_noted(bilabials):
    samples = bilabials[0]
    alignment = align_transcript(samples, "Peter bought a map zxqwv, Bob mumbled maybe a bumpy bus")
    assert any("zxqwv" in note for note in alignment.notes)
    with pytest.raises(InputError, match="dictionary"):
        align_transcript(samples, "zxqwv qqqzz")


def test_audio_errors_and_resampling(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_audio(tmp_path / "missing.wav")
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all")
    with pytest.raises(InputError, match="cannot read"):
        read_audio(bad)
    tone = np.sin(2 * np.pi * 440 * np.arange(44100) / 44100)
    out = to_speech_rate(np.stack([tone, tone], axis=1), 44100)
    assert out.dtype == np.float32 and abs(out.size - SPEECH_RATE) <= 1
    with pytest.raises(InputError):
        speech_model(tmp_path)
    with pytest.raises(InputError, match="cut it into lines"):
        talking_face(np.zeros(601 * SPEECH_RATE, np.float32), FPS)


def test_viseme_tables():
    """Every ARPAbet phone has a viseme; bilabials seal the lips; silence is the rest pose."""
    arpabet = (
        "AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH UH UW V W Y Z ZH"
    ).split()
    assert set(arpabet) <= set(PHONEME_VISEMES)
    matrix = viseme_matrix()
    pp = matrix[VISEMES.index("PP")]
    assert pp[ARKIT_INDEX["mouthClose"]] == pp[ARKIT_INDEX["jawOpen"]] > 0
    assert not matrix[VISEMES.index("sil")].any()
    assert matrix[VISEMES.index("aa"), ARKIT_INDEX["jawOpen"]] == matrix[:, ARKIT_INDEX["jawOpen"]].max()


def test_category_levels_and_ecavatar_windows():
    from facemotion.core.speech.emotion_windows import EmotionEvent, category_level, emotion_windows, window_keys

    assert category_level("joy", 1.0) == ("joy", 2)
    assert category_level("joy", 0.3) == ("joy", 1)  # "slightly happy"
    assert category_level("serenity", 0.3) == ("joy", 1)
    assert category_level("rage", 1.0) == ("anger", 3)
    assert category_level("love", 0.7) == ("love", 2)
    events = [EmotionEvent(0.0, "joy", 2), EmotionEvent(1.2, "anger", 3), EmotionEvent(1.3, "joy", 2)]
    windows = emotion_windows(events, 3.0, window=1.0)  # anger covers 0.1 s of window [1, 2): joy dominates
    assert windows == [(0.0, "joy", 2)]
    windows = emotion_windows([EmotionEvent(0.0, "joy", 2), EmotionEvent(1.4, "anger", 3)], 3.0, window=1.0)
    assert windows == [(0.0, "joy", 2), (1.0, "anger", 3)]  # anger covers 0.6 s of [1, 2)
    keys = window_keys(windows, transition=0.5)
    assert [(k.time, k.emotion, k.transition, k.easing) for k in keys] == [
        (0.0, "joy", 0.0, "linear"),
        (1.25, "rage", 0.5, "linear"),
    ]
