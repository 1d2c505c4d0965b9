# SPDX-License-Identifier: GPL-3.0-or-later
"""Test and benchmark speech made by Debian's ``espeak-ng`` (GPL-3.0; a formant synthesiser, so its words and
timing are known and it runs offline): ``apt-get install espeak-ng``. Nothing here is shipped with the extension."""

import shutil
import subprocess

#: Sentences the tests and the benchmark speak. ``<break>`` is SSML (espeak-ng ``-m``): a pause of known length.
BILABIALS = "Peter bought a map. <break time='700ms'/> Bob mumbled, maybe a bumpy bus."
EMOTION_TURN = "I was so happy to see you, but now I am furious."
#: About 20 s of speech for the benchmark: a real-time ratio is not dominated by one-off costs.
LONG_READING = (
    "The quick brown fox jumps over the lazy dog. <break time='400ms'/> "
    "Peter picked a peck of pickled peppers, and Betty bought a bit of better butter. "
    "<break time='500ms'/> She sells sea shells by the sea shore, while the moon moves over the "
    "mountains. <break time='400ms'/> Every morning we walk to the market to buy bread, milk and "
    "fresh vegetables for the week."
)


def espeak_available():
    """Whether ``espeak-ng`` is on the PATH."""
    return shutil.which("espeak-ng") is not None


def speak_to_wav(text, path, *, voice="en-us", words_per_minute=150):
    """Synthesise ``text`` (plain text with optional SSML ``<break time='Nms'/>``) to a WAV file at ``path``
    (22,050 Hz mono, espeak-ng's rate). Raises FileNotFoundError without espeak-ng, CalledProcessError if it
    fails. Returns ``path``."""
    ssml = f"<speak>{text}</speak>"
    subprocess.run(
        ["espeak-ng", "-m", "-v", voice, "-s", str(words_per_minute), "-w", str(path), ssml],
        check=True,
        capture_output=True,
    )
    return path
