# SPDX-License-Identifier: GPL-3.0-or-later
"""The demo's emotion timeline (plain data): what ``facemotion demo`` bakes, the Timeline panel's Demo Keys add and
``tools/bench.py`` times, in one place."""

from .timeline import EmotionKey

__all__ = ["FPS", "KEY_TIMES", "demo_timeline"]

#: Frame rate of the demo's bake.
FPS = 24
#: Times (seconds) of the six keys: neutral, the photo's expression, surprise, sadness, anger, neutral.
KEY_TIMES = (0.0, 1.2, 2.4, 3.6, 4.8, 6.0)


def demo_timeline(photo_weights):
    """The demo's emotion keys: neutral -> photo -> surprise -> sadness -> anger -> neutral over 6 s.

    ``photo_weights``: ``(52,)`` ARKit weights of a photo's expression for the second key (None: the caller sets
    that key's emotion). Returns :func:`facemotion.core.animation.timeline.bake_timeline`'s keyword arguments.
    """
    keys = [
        EmotionKey(time=KEY_TIMES[0], emotion="neutral"),
        EmotionKey(time=KEY_TIMES[1], weights=photo_weights, label="photo", transition=0.6),
        EmotionKey(time=KEY_TIMES[2], emotion="surprise", transition=0.5, easing="ease_out"),
        EmotionKey(time=KEY_TIMES[3], emotion="sadness", transition=0.8),
        EmotionKey(time=KEY_TIMES[4], emotion="anger", transition=0.6),
        EmotionKey(time=KEY_TIMES[5], emotion="neutral", transition=0.8),
    ]
    return {"keys": keys, "fps": FPS, "duration": KEY_TIMES[-1], "blinks": True, "blink_seed": 7}
