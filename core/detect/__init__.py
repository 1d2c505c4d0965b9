# SPDX-License-Identifier: GPL-3.0-or-later
"""Detect: MediaPipe's face landmarks on photos (:mod:`.landmarks`) and on meshes, through a numpy z-buffer
renderer (:mod:`.rasterize`, :mod:`.mesh_landmarks`); MediaPipe's index sets in :mod:`.mediapipe_topology`."""
