# SPDX-License-Identifier: GPL-3.0-or-later
"""The onnxruntime session every facemotion emotion model runs in: CPU, one intra-op and one inter-op thread.

One face costs well under a millisecond per model: more threads only add overhead and compete with Blender, and one
thread gives the same floating-point sums on every machine (same input, same result).
"""

from pathlib import Path

from ..errors import InputError

__all__ = ["cpu_session"]


def cpu_session(path, what, fix):
    """``onnxruntime.InferenceSession`` of the ONNX file ``path`` (CPU, one thread, warnings only).

    ``what`` names the model in messages ("emotion model"), ``fix`` says how to get a good file. Raises InputError when
    the file is missing or onnxruntime cannot load it (the message names the path and the fix)."""
    import onnxruntime as ort

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} {path} does not exist; {fix}")
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types for unreadable models
        raise InputError(f"{what} {path} cannot be loaded by onnxruntime ({exc}); {fix}") from exc
