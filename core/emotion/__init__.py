# SPDX-License-Identifier: GPL-3.0-or-later
"""Feel: FACS action units (:mod:`.facs`), emotion presets (:mod:`.presets`), recognition features
(:mod:`.features`), the ONNX classifier (:mod:`.classifier`) and recognition on images, videos and meshes
(:mod:`.recognition`)."""
