# SPDX-License-Identifier: GPL-3.0-or-later
"""tools/rig_accuracy.py's measures: the strict one counts motion where there should be none; the eyeball
deformation sees a stretched eyeball but not a turned one; the test heads keep ICT's eyes and teeth."""

import numpy as np
import rig_accuracy

from facemotion.core.arkit import ARKIT_INDEX
from facemotion.core.rig.template import load_ict_template


def test_strict_measure_counts_spurious_motion():
    rng = np.random.default_rng(0)
    gt = np.zeros((52, 200, 3), np.float32)
    gt[0, :50] = rng.normal(size=(50, 3))
    pred = gt.copy()
    assert rig_accuracy.strict_errors(pred, gt)[0][0, 0] == 0.0
    pred[0, 100:150] = gt[0, :50]  # 50 vertices moving that should not
    measure = rig_accuracy.expression_errors(pred, gt)[0, 0]
    strict, by_region = rig_accuracy.strict_errors(pred, gt, regions=np.repeat([0, 1], 100))
    assert measure == 0.0  # the old measure does not see it
    assert strict[0, 0] > 0.4  # the strict one does
    assert by_region[0, 0] == 0.0 and by_region[0, 1] > 0.9
    assert np.isnan(strict[1]).all()  # no ground truth: no number


def test_eyeball_deformation_and_test_head_parts():
    template = load_ict_template()
    head = rig_accuracy.make_test_head(template, identity=[0.5], remesh="none")
    assert set(np.unique(head.regions)) == {0, 1, 2}  # skin, eyeballs, teeth all kept
    left = head.eyeballs["left"]
    assert len(left) == 1570 and len(head.eyeballs["right"]) == 1570
    k = ARKIT_INDEX["eyeLookOutLeft"]
    turned = head.gt_deltas.copy()  # ground truth turns the eyeball: rigid
    assert np.abs(turned[k][left]).max() > 0
    assert rig_accuracy.eyeball_deformation(turned, head.gt_deltas, head.vertices, head.eyeballs)[k] < 1e-5
    b = ARKIT_INDEX["eyeBlinkLeft"]
    assert not head.gt_deltas[b][left].any()  # blinks never move the eyeball
    stretched = head.gt_deltas.copy()
    centre = head.vertices[left].mean(axis=0)
    stretched[b][left] = 0.1 * (head.vertices[left] - centre)
    assert rig_accuracy.eyeball_deformation(stretched, head.gt_deltas, head.vertices, head.eyeballs)[b] > 0.05
