"""core.capture on real data: Live Link Face CSV takes, the One Euro filter, calibration, gap bridging and
resampling on arrays; the whole capture (MediaPipe VIDEO mode + landmark solve) on a rendered ICT identity animated
with known curves (tools/capture_round_trip.py; frames cached under build/)."""

import numpy as np
import pytest

from facemotion.core.arkit import ARKIT_INDEX
from facemotion.core.capture import live_link
from facemotion.core.capture.calibration import adjust, calibrate, find_calm_span
from facemotion.core.capture.one_euro import OneEuroFilter, one_euro
from facemotion.core.capture.take import Take
from facemotion.core.capture.timing import bridge_gaps, resample
from facemotion.core.errors import InputError


def _take(n=90, fps=30.0, seed=1):
    rng = np.random.default_rng(seed)
    return Take(
        fps=fps,
        weights=rng.uniform(0, 1, (n, 52)),
        head_rotation=rng.uniform(-0.5, 0.5, (n, 3)),
        eye_rotation=rng.uniform(-0.3, 0.3, (n, 2, 3)),
        start_seconds=3600.0 * 14 + 62.5,
    )


def test_live_link_round_trip(tmp_path):
    take = _take()
    path = live_link.write_live_link_csv(tmp_path / "take.csv", take)
    header = path.read_text().splitlines()[0].split(",")
    assert header[:3] == ["Timecode", "BlendShapeCount", "EyeBlinkLeft"] and header[-1] == "RightEyeRoll"
    assert len(header) == 2 + 61
    first = path.read_text().splitlines()[1].split(",")
    assert first[0] == "14:01:02:15.000" and first[1] == "61"  # 62.5 s at 30 fps: second 2, frame 15
    back = live_link.read_live_link_csv(path)  # frame rate read from the timecodes
    assert back.fps == 30.0 and len(back) == len(take)
    assert np.abs(back.weights - take.weights).max() < 1e-4
    assert np.abs(back.head_rotation - take.head_rotation).max() < 1e-4
    assert np.abs(back.eye_rotation - take.eye_rotation).max() < 1e-4
    assert back.start_seconds == pytest.approx(take.start_seconds)


def test_live_link_landscape_correction(tmp_path):
    take = _take(n=30)
    text = live_link.live_link_text(take)
    rows = [line.split(",") for line in text.splitlines()]
    header = rows[0]
    left, right, yaw, pitch = (header.index(c) for c in ("MouthLeft", "MouthRight", "HeadYaw", "HeadPitch"))
    for row in rows[1:]:  # what a landscape take looks like: mouth sides swapped, yaw and pitch inverted
        row[left], row[right] = row[right], row[left]
        row[yaw], row[pitch] = str(-float(row[yaw])), str(-float(row[pitch]))
    swapped = "\n".join(",".join(r) for r in rows) + "\n"
    raw = live_link.read_live_link_csv(swapped, fps=30)
    assert np.abs(raw.weights[:, ARKIT_INDEX["mouthLeft"]] - take.weights[:, ARKIT_INDEX["mouthRight"]]).max() < 1e-4
    fixed = live_link.read_live_link_csv(swapped, fps=30, landscape=True)
    assert np.abs(fixed.weights - take.weights).max() < 1e-4
    assert np.abs(fixed.head_rotation - take.head_rotation).max() < 1e-4
    assert np.abs(fixed.head_rotation[:, 2] - raw.head_rotation[:, 2]).max() == 0  # roll untouched


def test_live_link_bad_files(tmp_path):
    text = live_link.live_link_text(_take(n=5))
    with pytest.raises(InputError, match="JawOpen"):
        live_link.read_live_link_csv(text.replace("JawOpen", "Jaw_Open"), fps=30)
    lines = text.splitlines()
    cells = lines[3].split(",")
    cells[5] = "abc"
    lines[3] = ",".join(cells)
    with pytest.raises(InputError, match="line 4, column EyeLookOutLeft"):
        live_link.read_live_link_csv("\n".join(lines) + "\n", fps=30)
    with pytest.raises(InputError, match="no frames"):
        live_link.read_live_link_csv(lines[0] + "\n")
    with pytest.raises(InputError, match="cannot read"):
        live_link.read_live_link_csv(tmp_path / "missing.csv")
    with pytest.raises(InputError, match="HH:MM:SS:FF"):
        live_link.read_live_link_csv(text.replace(lines[1].split(",")[0], "12:00"), fps=30)


def test_timecodes():
    assert live_link.parse_timecode("01:00:00:30.500", 60) == pytest.approx(3600.5 + 0.5 / 60)
    assert live_link.format_timecode(3600 * 60 + 30.5, 60) == "01:00:00:30.500"


def test_one_euro_removes_jitter_and_follows_a_blink():
    fps = 30.0
    rng = np.random.default_rng(0)
    still = 0.2 + rng.normal(0, 0.01, 60)
    filtered = one_euro(still, fps)
    assert np.abs(np.diff(filtered)).mean() < 0.5 * np.abs(np.diff(still)).mean()
    t = np.arange(30) / fps
    blink = np.exp(-0.5 * ((t - 0.5) / 0.05) ** 2)  # a 0.2 s blink
    out = one_euro(blink, fps)
    assert abs(int(np.argmax(out)) - int(np.argmax(blink))) <= 1 and out.max() > 0.8
    assert np.array_equal(one_euro(np.stack([blink, still[:30]], 1), fps)[:, 0], out)  # channels independent
    with pytest.raises(InputError, match="min_cutoff"):
        OneEuroFilter(fps, min_cutoff=0)
    with pytest.raises(InputError, match="beta"):
        OneEuroFilter(fps, beta=-1)


def test_calibration_subtracts_neutral_and_rescales():
    n = 90
    w = np.full((n, 52), 0.1)
    w[40:50, ARKIT_INDEX["jawOpen"]] += np.linspace(0, 0.5, 10)
    w[:, ARKIT_INDEX["cheekPuff"]] += np.where(np.arange(n) % 2, 0.04, 0.0)  # barely leaves neutral: noise
    span = find_calm_span(w, 30.0)
    assert span[1] <= 40 or span[0] >= 50
    calibration = calibrate(w, 30.0)
    out = calibration.apply(w)
    assert np.abs(out[:30, ARKIT_INDEX["jawOpen"]]).max() < 1e-9
    assert np.percentile(out[:, ARKIT_INDEX["jawOpen"]], 99) == pytest.approx(1.0)
    assert "cheekPuff" in calibration.unscaled and calibration.scale[ARKIT_INDEX["cheekPuff"]] == 1.0
    with pytest.raises(InputError, match="outside"):
        calibrate(w, 30.0, span=(80, 120))


def test_calm_span_is_near_the_median_face():
    """A face that rests with its mouth a little open (jawOpen 0.3) and closes it for an expression: the expression
    sums lower than the rest, yet is not taken for the neutral."""
    n = 120
    w = np.zeros((n, 52))
    w[:, ARKIT_INDEX["jawOpen"]] = 0.3
    w[70:90, ARKIT_INDEX["jawOpen"]] = 0.0
    w[70:90, ARKIT_INDEX["mouthPucker"]] = 0.2
    start, stop = find_calm_span(w, 30.0)
    assert stop <= 70 or start >= 90


def test_adjust_gain_offset_clamp():
    w = np.full((4, 52), 0.5)
    out = adjust(w, gain={"jawOpen": 3.0}, offset={"mouthClose": -0.6})
    assert out[0, ARKIT_INDEX["jawOpen"]] == 1.0 and out[0, ARKIT_INDEX["mouthClose"]] == 0.0
    assert out[0, ARKIT_INDEX["eyeBlinkLeft"]] == 0.5
    with pytest.raises(InputError, match="ARKit"):
        adjust(w, gain={"jaw_open": 2.0})


def test_bridge_gaps_and_resample():
    values = np.arange(10, dtype=float)[:, None] * np.ones((1, 2))
    found = np.ones(10, bool)
    found[[0, 4, 5, 9]] = False
    filled, gaps = bridge_gaps(np.where(found[:, None], values, -99.0), found)
    assert gaps == [(0, 0), (4, 5), (9, 9)]
    assert np.allclose(filled[1:9], values[1:9]) and filled[0, 0] == 1 and filled[9, 0] == 8
    with pytest.raises(InputError, match="no face"):
        bridge_gaps(values, np.zeros(10, bool))
    t = np.arange(61) / 60.0
    out = resample(t, np.sin(t)[:, None], 30.0)
    assert out.shape == (31, 1) and np.allclose(out[:, 0], np.sin(np.arange(31) / 30.0))
    with pytest.raises(InputError, match="back"):
        resample([0.0, 0.2, 0.1], np.zeros(3), 30.0)


@pytest.fixture(scope="module")
def round_trip():
    """The ground-truth round trip at its cheapest: 3 s at 30 fps, 192 px (render cached under build/)."""
    import capture_round_trip

    from facemotion.core.capture.capture import solve_take, track
    from facemotion.core.capture.sources import ArraySource

    frames, weights, yaw = capture_round_trip.render_clip(size=192, seconds=3.0)
    tracked = track(ArraySource(frames, capture_round_trip.FPS))
    return capture_round_trip, tracked, weights, yaw, solve_take


#: Pearson r bounds per performance of ``tools/capture_round_trip.py`` (256 px, 6 s): the figures measured on each
#: (performance 1: jawOpen 0.997, blinks 0.966 / 0.933, smiles 0.971 / 0.994, browInnerUp 0.974, mouthFunnel 0.926,
#: mouthPucker 0.968; performance 2, another head and other curves, checked after the solve's choices were made on the
#: first: 0.992, 0.963 / 0.911, 0.986 / 0.993, 0.967, 0.929, 0.978; performance 3, a third head turned 18 degrees,
#: added after those choices: 0.992, 0.966 / 0.956, 0.995 / 0.968, 0.926, 0.984, 0.943; performance 4, a fourth head,
#: added after the tracker's clock scale was chosen on the first three: 0.987, 0.959 / 0.898, 0.990 / 0.993, 0.912,
#: 0.934, 0.834; performance 5, a fifth head, added after the mouth's foreshortening weights were chosen: 0.986, 0.924
#: / 0.849, 0.990 / 0.977, 0.896, 0.942, 0.981; the blinks' solve with the yaw bend fixed was chosen on all five;
#: performance 6, a sixth head turned 15 degrees the other way, added as an unseen check before performance 5's funnel
#: was looked into: 0.967, 0.954 / 0.967, 0.987 / 0.985, 0.970, 0.880, 0.935; performance 7, a seventh head turned
#: 11 degrees, added as an unseen check before a sparsity penalty on the mouth was measured (not taken): 0.964, 0.906 /
#: 0.845, 0.982 / 0.972, 0.732, 0.811, 0.585)
#: less 0.05, rounded down: the capture is deterministic on one MediaPipe build (the same figures on Blender 5.0 and
#: 5.2); the margin is for another build or CPU placing a landmark a fraction of a pixel apart (such a shift of the
#: template's landmark search once cost mouthFunnel 0.3 with the surface basis; design changes of the observed basis,
#: e.g. 8, 16 or 24 faces in the head-turn residual, moved these figures by about 0.01; re-placing the template's
#: landmarks, stable-landmarks, by up to 0.04). The template's landmarks re-placed again, as the mean over a stencil
#: of 25 cameras (issue 18; median 0.24 mm, at most 1.6 mm), change the observed basis and the performers' colouring
#: and moved them by up to 0.10 (mouthPucker on performance 4 0.910 -> 0.834, on 7 0.682 -> 0.585, browInnerUp on 7
#: 0.796 -> 0.732, eyeBlinkRight on 5 0.902 -> 0.849; mouthFunnel on 5 0.899 -> 0.942): the basis is a noisy draw
#: (docs/capture.md), and these bounds follow it. Issue 20's solve (funnel and pucker refitted on the lower face,
#: browInnerUp half from a brow-region solve, the blinks' drift with the yaw removed per take; chosen on performances
#: 1-4, 5-7 held out) measured, performances 1-7: jawOpen 0.997 / 0.992 / 0.992 / 0.987 / 0.986 / 0.967 / 0.964,
#: eyeBlinkLeft 0.965 / 0.976 / 0.965 / 0.975 / 0.945 / 0.967 / 0.929, eyeBlinkRight 0.939 / 0.954 / 0.953 / 0.921 /
#: 0.912 / 0.979 / 0.955, mouthSmileLeft 0.971 / 0.986 / 0.995 / 0.990 / 0.990 / 0.987 / 0.982, mouthSmileRight 0.994 /
#: 0.993 / 0.968 / 0.993 / 0.977 / 0.985 / 0.972, browInnerUp 0.967 / 0.918 / 0.931 / 0.926 / 0.893 / 0.971 / 0.934,
#: mouthFunnel 0.929 / 0.917 / 0.978 / 0.949 / 0.954 / 0.890 / 0.851, mouthPucker 0.955 / 0.987 / 0.927 / 0.892 /
#: 0.979 / 0.946 / 0.724; the bounds are these less the same 0.05, rounded down. The lip refit's held channels capped by
#: their scores (issue 20, performance 7's pucker; core/capture/solve.py, LIP_REFIT_CHANNELS) measured mouthFunnel
#: 0.937 / 0.951 / 0.986 / 0.942 / 0.972 / 0.947 / 0.907, mouthPucker 0.987 / 0.991 / 0.968 / 0.916 / 0.968 / 0.968 /
#: 0.935, and with the other channels held on the brows' landmarks too (BROW_REGION_CHANNELS) browInnerUp 0.974 /
#: 0.936 / 0.923 / 0.931 / 0.894 / 0.973 / 0.934, the rest unchanged: their bounds are these less 0.05, rounded down
#: (lowered by 0.01 where the figure fell: mouthPucker on performance 5, 0.979 -> 0.968, and browInnerUp on 3, 0.931 ->
#: 0.923; every other bound of these channels rose or stayed). A recorded take tracked both ways (the mean of a forward
#: and a backward pass, MediaPipe on its own clock; core/capture/tracking.py, track_both_ways) measured, performances
#: 1-7: jawOpen 0.997 / 0.994 / 0.993 / 0.991 / 0.990 / 0.977 / 0.972, eyeBlinkLeft 0.962 / 0.972 / 0.973 / 0.970 /
#: 0.954 / 0.962 / 0.944, eyeBlinkRight 0.951 / 0.974 / 0.953 / 0.953 / 0.950 / 0.983 / 0.965, mouthSmileLeft 0.987 /
#: 0.989 / 0.997 / 0.996 / 0.997 / 0.998 / 0.995, mouthSmileRight 0.996 / 0.998 / 0.978 / 0.996 / 0.993 / 0.994 / 0.980,
#: browInnerUp 0.988 / 0.959 / 0.951 / 0.977 / 0.928 / 0.976 / 0.941, mouthFunnel 0.929 / 0.956 / 0.994 / 0.959 / 0.987
#: / 0.989 / 0.944, mouthPucker 0.996 / 0.950 / 0.986 / 0.940 / 0.964 / 0.974 / 0.933: the bounds are these less 0.05,
#: rounded down.
ROUND_TRIP_BOUNDS = {
    1: {
        "jawOpen": 0.94,
        "eyeBlinkLeft": 0.91,
        "eyeBlinkRight": 0.90,
        "mouthSmileLeft": 0.93,
        "mouthSmileRight": 0.94,
        "browInnerUp": 0.93,
        "mouthFunnel": 0.87,
        "mouthPucker": 0.94,
    },
    2: {
        "jawOpen": 0.94,
        "eyeBlinkLeft": 0.92,
        "eyeBlinkRight": 0.92,
        "mouthSmileLeft": 0.93,
        "mouthSmileRight": 0.94,
        "browInnerUp": 0.90,
        "mouthFunnel": 0.90,
        "mouthPucker": 0.90,
    },
    3: {
        "jawOpen": 0.94,
        "eyeBlinkLeft": 0.92,
        "eyeBlinkRight": 0.90,
        "mouthSmileLeft": 0.94,
        "mouthSmileRight": 0.92,
        "browInnerUp": 0.90,
        "mouthFunnel": 0.94,
        "mouthPucker": 0.93,
    },
    4: {
        "jawOpen": 0.94,
        "eyeBlinkLeft": 0.92,
        "eyeBlinkRight": 0.90,
        "mouthSmileLeft": 0.94,
        "mouthSmileRight": 0.94,
        "browInnerUp": 0.92,
        "mouthFunnel": 0.90,
        "mouthPucker": 0.89,
    },
    5: {
        "jawOpen": 0.94,
        "eyeBlinkLeft": 0.90,
        "eyeBlinkRight": 0.90,
        "mouthSmileLeft": 0.94,
        "mouthSmileRight": 0.94,
        "browInnerUp": 0.87,
        "mouthFunnel": 0.93,
        "mouthPucker": 0.91,
    },
    6: {
        "jawOpen": 0.92,
        "eyeBlinkLeft": 0.91,
        "eyeBlinkRight": 0.93,
        "mouthSmileLeft": 0.94,
        "mouthSmileRight": 0.94,
        "browInnerUp": 0.92,
        "mouthFunnel": 0.93,
        "mouthPucker": 0.92,
    },
    7: {
        "jawOpen": 0.92,
        "eyeBlinkLeft": 0.89,
        "eyeBlinkRight": 0.91,
        "mouthSmileLeft": 0.94,
        "mouthSmileRight": 0.93,
        "browInnerUp": 0.89,
        "mouthFunnel": 0.89,
        "mouthPucker": 0.88,
    },
}
#: Channels on which the landmark solve beats MediaPipe's scores alone by 0.1 r, per performance: performance 7's
#: funnel is read almost as well by the scores (0.801 against the solve's 0.907, a margin too thin to assert; its
#: pucker 0.518 against 0.935; see docs/capture.md).
BEATS_SCORES = {performance: ("mouthPucker", "mouthFunnel") for performance in range(1, 7)} | {7: ("mouthPucker",)}


@pytest.mark.parametrize("performance", sorted(ROUND_TRIP_BOUNDS))
def test_round_trip_recovers_known_curves(performance):
    """Known ARKit curves on a rendered ICT identity (tools/capture_round_trip.py at its full 256 px, 6 s) captured
    back: per-channel Pearson r above :data:`ROUND_TRIP_BOUNDS`, head yaw within the issue's 3 degrees (mean) and 6
    (worst frame); the landmark solve beats MediaPipe's scores alone where they fail (mouthPucker, mouthFunnel); the
    channels the performance leaves at 0 stay low."""
    import capture_round_trip as crt

    from facemotion.core.capture.capture import CaptureSettings, solve_take, track
    from facemotion.core.capture.sources import ArraySource

    frames, weights, yaw = crt.render_clip(size=256, seconds=6.0, performance=performance)
    tracked = track(ArraySource(frames, crt.FPS))
    assert tracked.found.all()
    take = solve_take(tracked)
    assert take.fps == crt.FPS and len(take) == len(weights)
    result = crt.compare(take, weights, yaw)
    for name, bound in ROUND_TRIP_BOUNDS[performance].items():
        assert result[name][0] >= bound, (name, result[name])
    assert result["headYaw"][1] < 3.0
    # Tracked both ways the curves are on time: the shift that correlates best is 0 on every checked channel but at
    # most one (measured: mouthSmileLeft +1 on performance 1, mouthPucker -1 on 2, mouthSmileRight +1 on 3,
    # browInnerUp +1 on 5); tracked one way (--one-way) 3 / 4 / 3 / 4 / 5 / 3 / 3 channels were a frame late.
    lags = crt.lag_frames(take, weights)
    assert sum(lag != 0 for lag in lags.values()) <= 1 and all(abs(lag) <= 1 for lag in lags.values()), lags
    assert np.abs(take.head_rotation[:, 0] - yaw).max() < np.radians(6.0)
    # The scores alone: mouthPucker r 0.056 / 0.401 / 0.805 / 0.302 / 0.247 / 0.668 / 0.518, mouthFunnel 0.405 / 0.683 /
    # 0.755 / 0.706 / 0.716 / 0.567 / 0.801 (the solve: 0.987 / 0.991 / 0.968 / 0.916 / 0.968 / 0.968 / 0.935, 0.937 /
    # 0.951 / 0.986 / 0.942 / 0.972 / 0.947 / 0.907).
    scores = crt.compare(solve_take(tracked, CaptureSettings(solve_share=0.0)), weights, yaw)
    for name in BEATS_SCORES[performance]:
        assert result[name][0] > scores[name][0] + 0.1, (name, result[name], scores[name])
    # Channels the performance never drives: 0.023 / 0.015 / 0.014 / 0.008 / 0.032 / 0.017 / 0.016 measured (the
    # fifth's as the scores alone read it: those channels keep the scores); the solve on every channel read 0.073 /
    # 0.065 (a turned pucker's leftovers in cheekPuff, noseSneer), rescaling channels that rise 0.1 (not 0.2) 0.042 /
    # 0.038.
    assert crt.idle_activation(take, weights)[0] < 0.04


def test_remove_yaw_drift():
    """A blink channel that drifts with the head's yaw (a different slope either side) loses the drift and keeps its
    blinks' height; other channels are untouched; a take with no turn is unchanged; bad input is a clear error."""
    from facemotion.core.capture.calibration import remove_yaw_drift

    t = np.arange(300) / 30.0
    yaw = np.radians(15.0) * np.sin(2.0 * np.pi * t / 10.0)
    blink = np.exp(-0.5 * ((t[:, None] - np.array([1.5, 3.0, 5.5, 8.0])) / 0.08) ** 2).sum(axis=1)
    drift = 0.9 * np.maximum(yaw, 0.0) + 0.3 * np.maximum(-yaw, 0.0)
    weights = np.zeros((len(t), 52))
    right, jaw = ARKIT_INDEX["eyeBlinkRight"], ARKIT_INDEX["jawOpen"]
    weights[:, right] = blink + drift
    weights[:, jaw] = drift
    out = remove_yaw_drift(weights, yaw)
    assert np.abs(out[:, right] - blink).max() < 0.02
    assert np.array_equal(out[:, jaw], weights[:, jaw])
    assert np.array_equal(remove_yaw_drift(weights, np.zeros(len(t))), weights)
    with pytest.raises(InputError, match="one per frame"):
        remove_yaw_drift(weights, yaw[:-1])
    with pytest.raises(InputError, match="ARKit"):
        remove_yaw_drift(weights, yaw, channels=("eyeBlink",))


def test_foreshortening_weights():
    """A turned head's landmarks count by how much of their surface the camera still sees: all fully at yaw 0 (but
    those the frontal view shows edge-on), the far side less as the head turns, the near side fully, never below the
    floor; the solve's mouth moves continuously with the yaw (blended between steps)."""
    from facemotion.core.capture.solve import FORESHORTENING_FLOOR, foreshortening_weights

    normals = np.array([[0.0, 0.0, 1.0], [0.6, 0.0, 0.8], [-0.6, 0.0, 0.8], [1.0, 0.0, 0.0], [0.0, -0.8, 0.6]])
    frontal = foreshortening_weights(normals, 0.0)
    assert np.allclose(frontal[[0, 1, 2, 4]], 1.0) and frontal[3] == pytest.approx(FORESHORTENING_FLOOR**2)
    turned = foreshortening_weights(normals, np.radians(16.0))  # toward the subject's left: +x goes away
    assert turned[1] < turned[0] < 1.0 and turned[2] == 1.0 and turned[4] == pytest.approx(turned[0])
    assert foreshortening_weights(normals, np.radians(60.0))[1] == pytest.approx(FORESHORTENING_FLOOR**2)
    assert np.all(np.diff(foreshortening_weights(normals[1:2], np.radians([0.0, 5.0, 10.0, 20.0]))) <= 0.0)


def test_solve_is_continuous_in_yaw(round_trip):
    """The mouth's weighted solves are blended between yaw steps: a frame solved at yaws either side of a step's edge
    reads nearly the same, and yaw None is yaw 0."""
    from facemotion.core.capture.solve import YAW_STEP_DEG, LandmarkSolver

    _, tracked, _, _, _ = round_trip
    solver = LandmarkSolver()
    aligned = np.stack([solver.align(points) for points in tracked.points])
    solver.set_neutral(aligned[:20])
    frames = aligned[40:70]
    for edge in np.radians([3.0 * YAW_STEP_DEG, 3.5 * YAW_STEP_DEG]):  # a step, and halfway between two
        below = solver.solve(frames, yaw=np.full(len(frames), edge - 1e-6))
        above = solver.solve(frames, yaw=np.full(len(frames), edge + 1e-6))
        assert np.abs(below - above).max() < 1e-4
    assert np.array_equal(solver.solve(frames), solver.solve(frames, yaw=np.zeros(len(frames))))


def test_solve_share():
    from facemotion.core.capture.solve import combine, solve_share

    share = solve_share()
    assert share[ARKIT_INDEX["mouthPucker"]] == 1.0 and share[ARKIT_INDEX["browInnerUp"]] == 0.5
    assert share[ARKIT_INDEX["cheekPuff"]] == 0.0  # not measured: the scores
    assert solve_share(1.0)[ARKIT_INDEX["eyeLookInLeft"]] == 0.0 and solve_share(1.0)[ARKIT_INDEX["tongueOut"]] == 0.0
    assert solve_share(0.0).max() == 0.0 and solve_share({"jawOpen": 0.25})[ARKIT_INDEX["jawOpen"]] == 0.25
    mixed = combine(np.zeros((2, 52)), np.ones((2, 52)), share)
    assert np.array_equal(mixed[0], share)
    with pytest.raises(InputError, match="ARKit"):
        solve_share({"jaw_open": 1.0})
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        solve_share(1.5)


def test_observed_basis_tells_pucker_from_funnel():
    """The basis is what MediaPipe's landmarks do on renders of the template: a pucker's landmark motion is told from
    a funnel's (both round the lips; cosine 0.70 measured), the turns' residuals are small (under 1 cm), and a
    shape the template lacks has none."""
    from facemotion.core.capture import landmark_basis
    from facemotion.core.capture.landmark_basis import observed_basis
    from facemotion.core.capture.solve import LandmarkSolver
    from facemotion.core.detect import mediapipe_topology as topo
    from facemotion.core.rig.autorig import template_landmarks
    from facemotion.core.rig.template import load_ict_template

    template = load_ict_template()
    solver = LandmarkSolver(template)
    rest, motion, pose, modes = observed_basis(template, template_landmarks(template), solver.locate)
    assert rest.shape == (478, 3) and motion.shape == (478, 52, 3) and pose.shape[0] == 478
    assert modes.shape == (478, landmark_basis.BEND_MODES, 3) and 0.0 < np.abs(modes).max() < 0.01
    lips = list(topo.LIPS_UPPER_OUTER + topo.LIPS_LOWER_OUTER)
    pucker, funnel = motion[:, ARKIT_INDEX["mouthPucker"]], motion[:, ARKIT_INDEX["mouthFunnel"]]
    assert np.linalg.norm(pucker[lips], axis=1).mean() > 0.002  # metres: the lips move
    cosine = (pucker * funnel).sum() / np.linalg.norm(pucker) / np.linalg.norm(funnel)
    assert cosine < 0.85
    assert 0.0 < np.abs(pose).max() < 0.01
    assert not motion[:, ARKIT_INDEX["tongueOut"]].any()  # the template has no tongue shape


def test_head_turn_residual_faces():
    """The head-turn residual is averaged over the template and :data:`POSE_IDENTITIES` fixed ICT identities (the same
    on every run, so the cache key holds), or the template alone when it has too few identity modes."""
    import dataclasses

    from facemotion.core.capture import landmark_basis
    from facemotion.core.rig.template import load_ict_template

    template = load_ict_template()
    faces = landmark_basis.pose_identities(template)
    assert faces.shape == (landmark_basis.POSE_IDENTITIES, landmark_basis.POSE_IDENTITY_MODES)
    assert np.array_equal(faces, landmark_basis.pose_identities(template)) and np.abs(faces).max() < 6.0
    assert len(landmark_basis.pose_identities(dataclasses.replace(template, identity_modes=None))) == 0


def test_bending_modes():
    """The bending modes of head-turn residuals span the bends they were drawn from (two here, each face's turn a mix
    of them), largest first, scaled so the largest coefficient a residual has on a mode is 1."""
    from facemotion.core.capture import landmark_basis

    rng = np.random.default_rng(0)
    bends = rng.normal(0.0, 1e-3, (2, 478, 3))
    mix = rng.normal(0.0, 1.0, (9, 4, 2)) * [3.0, 1.0]  # (faces, turns, bends)
    residuals = np.einsum("fkj,jlc->flkc", mix, bends)
    modes = landmark_basis.bending_modes(residuals)
    assert modes.shape == (478, landmark_basis.BEND_MODES, 3)
    rows = residuals.transpose(0, 2, 1, 3).reshape(36, -1)
    flat = modes.transpose(1, 0, 2).reshape(landmark_basis.BEND_MODES, -1)
    basis, _ = np.linalg.qr(flat[:2].T)
    assert np.abs(rows - rows @ basis @ basis.T).max() < 1e-9  # two modes hold every residual
    units = flat / np.linalg.norm(flat, axis=1, keepdims=True)
    assert np.allclose(np.abs(rows @ units[:2].T).max(axis=0), np.linalg.norm(flat[:2], axis=1))
    assert np.linalg.norm(flat[2:], axis=1).max() < 1e-9 * np.linalg.norm(flat[0])  # nothing beyond the two


def test_round_trip_bridges_missing_faces_and_resamples(round_trip):
    """Frames without a face are bridged and reported; 30 fps resampled to 24 keeps the curves."""
    from facemotion.core.capture.capture import CaptureSettings, Tracked

    crt, tracked, weights, _, solve_take = round_trip
    found = tracked.found.copy()
    found[40:45] = False
    holed = Tracked(
        fps=tracked.fps,
        times=tracked.times,
        points=tracked.points,
        scores=tracked.scores,
        matrices=tracked.matrices,
        found=found,
    )
    take = solve_take(holed, CaptureSettings(fps=24.0))
    assert take.fps == 24.0 and len(take) == 72  # 89 frames at 30 fps = 2.97 s -> 72 rows at 24 fps
    assert not take.found[33:36].any() and take.found[:30].all()
    assert any("no face in 5 of 90 frames" in note for note in take.notes)
    truth = resample(np.arange(len(weights)) / crt.FPS, weights, 24.0)
    jaw = ARKIT_INDEX["jawOpen"]
    assert np.corrcoef(take.weights[:, jaw], truth[:, jaw])[0, 1] > 0.9


def test_live_capture_streams_the_round_trip(round_trip):
    """The same clip pushed frame by frame (a webcam's path): the first second is the neutral, then the weights
    follow the truth as they come (jawOpen r > 0.9, the offline bound), and the recorded take matches."""
    from facemotion.core.capture.live import LiveCapture
    from facemotion.core.capture.one_euro import DEFAULT_BETA, DEFAULT_MIN_CUTOFF
    from facemotion.core.capture.sources import ArraySource
    from facemotion.core.capture.tracking import FaceTracker

    crt, _, weights, _, _ = round_trip
    frames, _, _ = crt.render_clip(size=192, seconds=3.0)
    live = LiveCapture(crt.FPS, filter_parameters={"min_cutoff": DEFAULT_MIN_CUTOFF, "beta": DEFAULT_BETA})
    streamed = []
    with FaceTracker() as tracker:
        for i, (seconds, rgb) in enumerate(ArraySource(frames, crt.FPS)):
            face = None if i in (50, 51) else tracker.track(rgb, seconds)  # two frames lost
            streamed.append(live.push(seconds, face))
    assert live.calibrated
    streamed = np.array(streamed)
    jaw = ARKIT_INDEX["jawOpen"]
    assert np.corrcoef(streamed[:, jaw], weights[:, jaw])[0, 1] > 0.9
    take = live.take()
    assert len(take) == len(frames) and not take.found[50:52].any() and take.notes
    assert np.abs(take.weights[:50] - streamed[:50]).max() < 1e-6


def test_live_session_tracks_in_a_worker_and_returns_the_take(round_trip):
    """A webcam's session, fed by the clip as a source: frames tracked in the worker thread, the newest weights
    readable meanwhile, the take returned (and the source closed) by stop()."""
    from facemotion.core.capture.live import LiveCapture, LiveSession
    from facemotion.core.capture.sources import ArraySource

    crt = round_trip[0]
    frames, _, _ = crt.render_clip(size=192, seconds=3.0)
    session = LiveSession(ArraySource(frames, crt.FPS), LiveCapture(crt.FPS))
    session.start()
    while session.running:
        session._thread.join(0.1)
    assert session.latest() is not None and session.latest().shape == (52,)
    take = session.stop()
    assert len(take) == len(frames) and take.found.all()


#: Largest difference of any weight between a clip tracked backward in blocks and in one go: measured 0.020 (one
#: channel, on the first block's last frame), 0.00026 on average; the checked channels' r against the truth moved by at
#: most 0.0013.
MAX_BLOCK_DIFFERENCE = 0.05


def test_recorded_take_is_tracked_both_ways_in_blocks(round_trip, monkeypatch):
    """A recorded take is tracked forward and backward (each frame the mean of the two passes); a long one is held
    and tracked backward in blocks: forced here to the smallest block (30 frames, each backward tracker started 15
    frames after its block ends), the 90-frame clip in three blocks reads as the clip tracked backward in one go: the
    last block (tracked from the clip's end, as one block is) identical, the others' curves within a small tolerance;
    progress counts both passes up to 1.0."""
    from facemotion.core.capture import tracking
    from facemotion.core.capture.capture import track
    from facemotion.core.capture.sources import ArraySource

    crt, tracked, weights, _, solve_take = round_trip
    frames, _, _ = crt.render_clip(size=192, seconds=3.0)
    monkeypatch.setattr(tracking, "BACKWARD_BLOCK_BYTES", 1)
    fractions = []
    blocked = track(ArraySource(frames, crt.FPS), progress=lambda fraction, message: fractions.append(fraction))
    assert blocked.found.all()
    assert len(fractions) == 2 * len(frames) and fractions == sorted(fractions) and fractions[-1] == 1.0
    np.testing.assert_array_equal(blocked.points[60:], tracked.points[60:])
    assert not np.array_equal(blocked.points[:60], tracked.points[:60])  # other backward trackers
    one, three = solve_take(tracked), solve_take(blocked)
    assert np.abs(three.weights - one.weights).max() < MAX_BLOCK_DIFFERENCE
    jaw = ARKIT_INDEX["jawOpen"]
    assert np.corrcoef(three.weights[:, jaw], weights[:, jaw])[0, 1] > 0.9


def test_live_source_is_tracked_forward_only(round_trip):
    """A live source (a webcam: ``live``) is tracked one way, as it streams, on the one-way clock: exactly what a
    :class:`FaceTracker` made with its defaults reads frame by frame; the same frames recorded are tracked both ways
    and read otherwise."""
    from facemotion.core.capture.capture import track
    from facemotion.core.capture.solve import metric_landmarks
    from facemotion.core.capture.sources import ArraySource
    from facemotion.core.capture.tracking import FaceTracker

    class LiveFrames(ArraySource):
        live = True

    crt, tracked, _, _, _ = round_trip
    frames, _, _ = crt.render_clip(size=192, seconds=3.0)
    live = track(LiveFrames(frames, crt.FPS))
    with FaceTracker() as tracker:
        streamed = [tracker.track(rgb, seconds) for seconds, rgb in ArraySource(frames, crt.FPS)]
    np.testing.assert_array_equal(live.points, np.array([metric_landmarks(face) for face in streamed], np.float32))
    assert not np.array_equal(live.points, tracked.points)


def test_face_observer_framing_shift():
    """One face's observation is the basis's own (the template unshifted reproduces the cached basis's neutral
    within rounding), and moving the framing by half a pixel moves MediaPipe's aligned landmarks by a sub-millimetre
    amount that is not zero: the still-image measurement's noise that ``tools/capture_basis_variants.py`` measures."""
    from facemotion.core.capture import landmark_basis
    from facemotion.core.capture.solve import LandmarkSolver
    from facemotion.core.rig.autorig import template_landmarks
    from facemotion.core.rig.template import load_ict_template

    template = load_ict_template()
    landmarks = template_landmarks(template)
    solver = LandmarkSolver(template, landmarks)
    rest, _, pose, _ = landmark_basis.observed_basis(template, landmarks, solver.locate)
    same, motion, turns = landmark_basis.face_observer(template, landmarks, solver.locate)(template.vertices, False)
    assert motion is None and turns.shape == (478, len(landmark_basis.POSE_TURNS), 3)
    # Within rounding, not bit for bit: the user cache the basis comes from is shared by every Blender's Python, and
    # one built with numpy 1.26 (Blender 4.2 / 5.0) and read under numpy 2 (5.2) differs by 8e-17 m.
    np.testing.assert_allclose(same, rest, rtol=0.0, atol=1e-12)
    moved, _, _ = landmark_basis.face_observer(template, landmarks, solver.locate, shift=(0.5, 0.5, 1.0))(
        template.vertices, False
    )
    change = np.linalg.norm(moved - rest, axis=1)
    assert 0.0 < change.mean() < 0.001  # metres


def test_solver_takes_a_given_basis():
    """A basis given to the solver is the one it solves with: the shipped basis gives the default solver's weights
    exactly, the funnel's own landmark motion reads as a funnel, and a basis whose funnel column is zero never reports
    one (the prior's funnel, here 0, stands alone)."""
    from facemotion.core.capture import landmark_basis
    from facemotion.core.capture.solve import LandmarkSolver
    from facemotion.core.rig.autorig import template_landmarks
    from facemotion.core.rig.template import load_ict_template

    template = load_ict_template()
    landmarks = template_landmarks(template)
    default = LandmarkSolver(template, landmarks)
    rest, motion, pose, modes = landmark_basis.observed_basis(template, landmarks, default.locate)
    frames = rest[None] + np.stack([0.0, 0.6, 1.0])[:, None, None] * motion[:, ARKIT_INDEX["mouthFunnel"]][None]
    given = LandmarkSolver(template, landmarks, basis=(rest, motion, pose, modes))
    for solver in (default, given):
        solver.set_neutral(rest[None])
    assert np.array_equal(given.solve(frames), default.solve(frames))
    # A full funnel reads 0.74 against a zero prior (the ridge pulls toward it, the pucker column shares the lips).
    assert default.solve(frames)[2, ARKIT_INDEX["mouthFunnel"]] > 0.5
    no_funnel = motion.copy()
    no_funnel[:, ARKIT_INDEX["mouthFunnel"]] = 0.0
    blind = LandmarkSolver(template, landmarks, basis=(rest, no_funnel, pose, modes))
    blind.set_neutral(rest[None])
    assert np.abs(blind.solve(frames)[:, ARKIT_INDEX["mouthFunnel"]]).max() < 1e-9
