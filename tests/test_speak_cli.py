# SPDX-License-Identifier: GPL-3.0-or-later
"""``facemotion speak``: a voice (espeak-ng) and its transcript baked on the ICT head, and its one-line refusals."""

import numpy as np
import pytest
import speech_samples
from test_cli import ICT_NEUTRAL, _assert_ok, accessor, read_gltf, run_cli

from facemotion.core.arkit import ARKIT_NAMES
from facemotion.core.io.assets import asset_path
from facemotion.core.speech.visemes import VISEME_KEY_NAMES

pytestmark = pytest.mark.skipif(
    not speech_samples.espeak_available(),
    reason="espeak-ng is not installed (apt-get install espeak-ng; .ci/run installs it)",
)


@pytest.fixture(scope="module")
def voice(tmp_path_factory):
    folder = tmp_path_factory.mktemp("speak")
    wav = speech_samples.speak_to_wav(speech_samples.EMOTION_TURN, folder / "turn.wav")
    transcript = folder / "turn.txt"
    transcript.write_text(speech_samples.EMOTION_TURN, encoding="utf-8")
    return folder, wav, transcript


def _one_line_error(proc, *fragments):
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("facemotion: error:"), proc.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_speak_bakes_visemes_and_emotion_on_the_ict_head(voice):
    folder, wav, transcript = voice
    out = folder / "ict_speaking.glb"
    proc = run_cli(
        "speak", asset_path(ICT_NEUTRAL), "--audio", wav, "--transcript", transcript, "--visemes", "--out", out
    )
    _assert_ok(proc)
    assert "12 words aligned" in proc.stdout
    assert proc.stdout.index(" joy ") < proc.stdout.index(" rage ")  # the emotion keys it made, in order
    doc, buffers = read_gltf(out)
    (mesh,) = [m for m in doc["meshes"] if m.get("extras", {}).get("targetNames")]
    names = mesh["extras"]["targetNames"]
    assert set(ARKIT_NAMES) | set(VISEME_KEY_NAMES) <= set(names)
    (channel,) = [c for a in doc["animations"] for c in a["channels"] if c["target"]["path"] == "weights"]
    sampler = next(a for a in doc["animations"] if channel in a["channels"])["samplers"][channel["sampler"]]
    weights = accessor(doc, buffers, sampler["output"])[:, 0].reshape(-1, len(names))
    column = {name: weights[:, i] for i, name in enumerate(names)}
    assert column["viseme_PP"].max() > 0.99 and column["viseme_aa"].max() > 0.3  # "happy", "am": closures, "ah"
    assert column["cheekSquintLeft"][:10].mean() > 0.3 and column["browDownLeft"][-10:].mean() > 0.3
    # The speech went on the visemes: the ARKit lip keys carry only the emotion's own share, which is scaled by the
    # silence viseme's weight (rage's pressed lips come back in the pauses, nothing of them while speaking).
    assert (column["viseme_sil"] < 1e-3).sum() > 20
    assert np.all(column["mouthPressLeft"] <= column["viseme_sil"] + 1e-6)
    assert column["mouthPressLeft"].max() > 0.1  # the pauses


def test_speak_refuses_bad_input_with_one_line_and_writes_nothing(voice, tmp_path):
    _, wav, _ = voice
    out = tmp_path / "never.glb"
    mesh = asset_path(ICT_NEUTRAL)
    _one_line_error(run_cli("speak", mesh, "--audio", tmp_path / "missing.wav", "--out", out), "missing.wav")
    _one_line_error(
        run_cli("speak", mesh, "--audio", wav, "--emotion", "joy", "--text", "calm", "--out", out), "not allowed with"
    )
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("d\xe9j\xe0 vu".encode("latin-1"))
    _one_line_error(run_cli("speak", mesh, "--audio", wav, "--transcript", latin1, "--out", out), "UTF-8")
    _one_line_error(run_cli("speak", mesh, "--audio", wav, "--source", "prosody", "--out", out), "emotion name")
    _one_line_error(run_cli("speak", mesh, "--audio", wav, "--emotion", "blissfull", "--out", out), "blissfull")
    assert not out.exists()
