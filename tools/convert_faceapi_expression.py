#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Convert face-api's FaceExpressionNet (TensorFlow.js weights) into the second ONNX model of the appearance channel.

Source: the npm package ``@vladmandic/face-api@1.7.15`` (MIT licence, Vladimir Mandic; a maintained fork of
``face-api.js@0.22.2`` by Vincent Mühler, MIT, whose weights it ships unchanged). face-api.js's README says the model
"has been trained on a variety of images from publicly available datasets as well as images scraped from the web":
real photographs, 7 classes (:data:`facemotion.core.emotion.appearance.FACEAPI_LABELS`, no contempt). The tarball is
fetched from the npm registry into ``build/faceapi/`` (or given with ``--tarball``) and must match the registry's
``dist.integrity`` (:data:`TARBALL_SHA512`, base64 sha512); ``model/face_expression_model-weights_manifest.json`` and
its ``.bin`` are read from it. Quantised weights (the manifest's ``quantization``: ``uint8``/``uint16`` as
``min + scale * q``, or ``float16``) are dequantised as TensorFlow.js does.

Architecture (face-api's ``src/faceFeatureExtractor/`` and ``src/faceExpressionNet/``, rebuilt with ``onnx.helper``):
RGB input 112 x 112, ``(x - mean_rgb) / 255`` with ``mean_rgb = (122.782, 117.001, 104.298)`` (``normalize`` then
``div(255)``: no BGR swap, no further scaling; done inside the graph); four dense blocks (``denseBlock4``): ``out1 =
relu(conv0(x))`` with stride 2 (a plain 3x3 Conv in the first block, a depthwise-separable one after), then three
depthwise-separable 3x3 convs whose inputs are the ReLU of the running sum (``in_k = relu(out1 + ... + out_{k-1})``),
the block's output ``relu(out1 + out2 + out3 + out4)``; TensorFlow's "same" padding (the odd pixel after:
``auto_pad=SAME_UPPER``); 32, 64, 128, 256 channels; AvgPool 7x7 stride 2 "valid" (7x7 -> 1x1); a fully connected
layer 256 -> 7; Softmax.

Checks before writing: an independent numpy forward pass in NHWC (TensorFlow.js' layout, its "same" padding computed
explicitly) must agree with onnxruntime within :data:`MAX_ABS_DIFF` on seeded random inputs, and the astronaut photo
(``faces/astronaut.png``) must read *happy* through this model's crop
(:func:`facemotion.core.emotion.appearance.faceapi_crop`; skipped with a note when the photo is not available).

Output: ``build/models/faceapi_expression.onnx`` (deterministic bytes: fixed producer, opset, initialiser order, no
timestamps) and the package's ``LICENSE`` beside it (``faceapi_LICENSE.txt``), written atomically. Input ``image``
``float32 (N, 3, 112, 112)`` RGB in 0..255 (the mean subtraction and scaling are in the graph); output
``probabilities`` ``float32 (N, 7)`` in face-api's order.

Usage::

    .venv/bin/python tools/convert_faceapi_expression.py          # download (npm registry), convert, check, write
    .venv/bin/python tools/convert_faceapi_expression.py --tarball face-api-1.7.15.tgz

Exit code 2 with one line on stderr when the tarball cannot be fetched, its integrity differs or a check fails.
"""

import base64
import hashlib
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from convert_fer_model import (  # noqa: E402
    ConversionError,
    run_converter,
    same_padded_windows,
    with_metadata,
    write_checked,
)
from package_path import ROOT, import_facemotion  # noqa: E402

import_facemotion()
from facemotion.core.emotion import appearance  # noqa: E402
from facemotion.core.io.atomic_io import atomic_write_bytes  # noqa: E402

PACKAGE = "@vladmandic/face-api"
VERSION = "1.7.15"
TARBALL_URL = f"https://registry.npmjs.org/{PACKAGE}/-/face-api-{VERSION}.tgz"
#: The registry's ``dist.integrity`` of the tarball (``npm view @vladmandic/face-api@1.7.15 dist.integrity``).
TARBALL_SHA512 = "WDMmK3CfNLo8jylWqMoQgf4nIst3M0fzx1dnac96wv/dvMTN4DxC/Pq1DGtduDk1lktCamQ3MIDXFnvrdHTXDw=="
MANIFEST_MEMBER = "package/model/face_expression_model-weights_manifest.json"
MODEL_DIR_MEMBER = "package/model/"
LICENSE_MEMBER = "package/LICENSE"
#: face-api's ``FaceFeatureExtractor.forwardInput``: per-channel RGB mean subtracted before dividing by 255.
MEAN_RGB = (122.782, 117.001, 104.298)
INPUT_SIZE = 112
BLOCKS = ("dense0", "dense1", "dense2", "dense3")
#: Largest difference allowed between onnxruntime and the numpy reference (probabilities).
MAX_ABS_DIFF = 1e-4
OPSET = 17
IR_VERSION = 8
DOWNLOAD_DIR = ROOT / "build" / "faceapi"


# ---------------------------------------------------------------------------------------------------------- source


def sri_sha512(data):
    """The npm registry's integrity string body of ``data`` (base64 of its sha512)."""
    return base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def fetch_tarball(tarball=None):
    """Path of the verified tarball: ``tarball`` when given, else downloaded from the npm registry into
    build/faceapi/. Raises ConversionError when it cannot be fetched or its sha512 differs from the registry's."""
    path = Path(tarball) if tarball else DOWNLOAD_DIR / f"face-api-{VERSION}.tgz"
    if tarball is None and not path.is_file():
        try:
            with urllib.request.urlopen(TARBALL_URL, timeout=120) as response:
                data = response.read()
        except OSError as exc:
            raise ConversionError(
                f"could not download {TARBALL_URL} ({exc}); check the network or pass --tarball PATH"
            ) from exc
        if sri_sha512(data) != TARBALL_SHA512:
            raise ConversionError(f"{TARBALL_URL} does not match the registry's sha512 integrity; try again later")
        DOWNLOAD_DIR.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, data)
    if not path.is_file():
        raise ConversionError(f"{path} does not exist; give the {PACKAGE}@{VERSION} tarball from the npm registry")
    digest = sri_sha512(path.read_bytes())
    if digest != TARBALL_SHA512:
        raise ConversionError(
            f"{path} has sha512 {digest}, expected {TARBALL_SHA512} ({PACKAGE}@{VERSION} on npm); "
            f"delete it and download again"
        )
    return path


def dequantise(raw, spec):
    """One manifest entry's ``float32`` array from its bytes ``raw``, dequantised as TensorFlow.js does."""
    shape = tuple(spec["shape"])
    quant = spec.get("quantization")
    if quant is None:
        if spec["dtype"] != "float32":
            raise ConversionError(f"weight {spec['name']}: dtype {spec['dtype']} not supported")
        return np.frombuffer(raw, "<f4").reshape(shape).astype(np.float32)
    if quant["dtype"] == "float16":
        return np.frombuffer(raw, "<f2").reshape(shape).astype(np.float32)
    if quant["dtype"] not in ("uint8", "uint16"):
        raise ConversionError(f"weight {spec['name']}: quantisation {quant['dtype']} not supported")
    q = np.frombuffer(raw, "<u2" if quant["dtype"] == "uint16" else "u1").reshape(shape)
    return (q.astype(np.float64) * quant["scale"] + quant["min"]).astype(np.float32)


def _byte_size(spec):
    dtype = spec.get("quantization", {}).get("dtype", spec["dtype"])
    return int(np.prod(spec["shape"], dtype=np.int64)) * {"float32": 4, "float16": 2, "uint16": 2, "uint8": 1}[dtype]


def read_weights(tarball_path):
    """``(weights, license_text)`` from the tarball: ``weights`` maps the manifest's names (``dense0/conv0/filters``,
    ``fc/weights`` ...) to float32 arrays in TensorFlow.js' layout (HWIO kernels, ``(in, out)`` dense)."""
    with tarfile.open(tarball_path, "r:gz") as tar:
        manifest = json.loads(tar.extractfile(MANIFEST_MEMBER).read())
        license_text = tar.extractfile(LICENSE_MEMBER).read()
        weights = {}
        for group in manifest:
            blob = b"".join(tar.extractfile(MODEL_DIR_MEMBER + p).read() for p in group["paths"])
            offset = 0
            for spec in group["weights"]:
                size = _byte_size(spec)
                weights[spec["name"]] = dequantise(blob[offset : offset + size], spec)
                offset += size
            if offset != len(blob):
                raise ConversionError(f"the manifest describes {offset} bytes, the weight files hold {len(blob)}")
    return weights, license_text


# ------------------------------------------------------------------------------------------------------ ONNX graph


def build_onnx(weights):
    """The ONNX ModelProto (NCHW; input ``image (N, 3, 112, 112)`` RGB 0..255, output ``probabilities (N, 7)``)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []

    def init(name, array):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array, np.float32), name))
        return name

    def node(op, inputs, name, **attrs):
        nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def conv(name, x, kernel_hwio, stride, bias=None, group=1):
        kh, kw = kernel_hwio.shape[:2]
        inputs = [x, init(f"{name}.W", kernel_hwio.transpose(3, 2, 0, 1))]
        inputs += [init(f"{name}.B", bias)] if bias is not None else []
        # TensorFlow's "same": the odd extra pixel goes after (SAME_UPPER).
        return node("Conv", inputs, name, kernel_shape=[kh, kw], strides=[stride, stride], group=group,
                    auto_pad="SAME_UPPER")  # fmt: skip

    def separable(prefix, x, stride):
        depthwise = weights[f"{prefix}/depthwise_filter"]  # (kh, kw, C, 1) -> one filter per channel
        dw = conv(f"{prefix}.depthwise", x, depthwise.transpose(0, 1, 3, 2), stride, group=depthwise.shape[2])
        return conv(prefix, dw, weights[f"{prefix}/pointwise_filter"], 1, bias=weights[f"{prefix}/bias"])

    x = node("Sub", ["image", init("mean_rgb", np.array(MEAN_RGB, np.float32).reshape(1, 3, 1, 1))], "centred")
    x = node("Div", [x, init("scale", np.array(255.0, np.float32))], "normalised")
    for b, block in enumerate(BLOCKS):
        if b == 0:
            first = conv(f"{block}/conv0", x, weights[f"{block}/conv0/filters"], 2, bias=weights[f"{block}/conv0/bias"])
        else:
            first = separable(f"{block}/conv0", x, 2)
        outs = [node("Relu", [first], f"{block}/out1")]
        for k in (1, 2, 3):
            running = outs[0]
            for j, o in enumerate(outs[1:], start=2):
                running = node("Add", [running, o], f"{block}/sum{k}_{j}")
            block_in = outs[0] if k == 1 else node("Relu", [running], f"{block}/in{k + 1}")
            outs.append(separable(f"{block}/conv{k}", block_in, 1))
        running = outs[0]
        for j, o in enumerate(outs[1:], start=2):
            running = node("Add", [running, o], f"{block}/sum4_{j}")
        x = node("Relu", [running], f"{block}/out")
    x = node("AveragePool", [x], "avgpool", kernel_shape=[7, 7], strides=[2, 2])
    x = node("Flatten", [x], "features", axis=1)
    x = node("Gemm", [x, init("fc.W", weights["fc/weights"]), init("fc.B", weights["fc/bias"])], "logits")
    node("Softmax", [x], "probabilities", axis=1)
    labels = appearance.FACEAPI_LABELS
    graph = helper.make_graph(
        nodes,
        "faceapi_expression",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, INPUT_SIZE, INPUT_SIZE])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", len(labels)])],
        inits,
    )
    model = helper.make_model(
        graph,
        producer_name="facemotion tools/convert_faceapi_expression.py",
        producer_version="1",
        opset_imports=[helper.make_opsetid("", OPSET)],
    )
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


# ------------------------------------------------------------------------------------------------ numpy reference


def numpy_forward(weights, rgb_nhwc):
    """Forward pass in float64 numpy, NHWC as TensorFlow.js computes it: ``(N, 112, 112, 3)`` RGB 0..255 ->
    ``(N, 7)`` probabilities. Independent of the ONNX graph (own padding arithmetic, TensorFlow.js kernel layout,
    the dense blocks written out as face-api's ``denseBlock4``)."""
    w = {k: v.astype(np.float64) for k, v in weights.items()}

    def conv(x, kernel, stride, bias):
        win = same_padded_windows(x, kernel.shape[:2], (stride, stride), "same", 0.0)
        return np.einsum("nhwcij,ijco->nhwo", win, kernel) + bias

    def separable(x, prefix, stride):
        dk = w[f"{prefix}/depthwise_filter"][..., 0]
        win = same_padded_windows(x, dk.shape[:2], (stride, stride), "same", 0.0)
        out = np.einsum("nhwcij,ijc->nhwc", win, dk)
        return np.einsum("nhwc,co->nhwo", out, w[f"{prefix}/pointwise_filter"][0, 0]) + w[f"{prefix}/bias"]

    relu = lambda v: np.maximum(v, 0.0)  # noqa: E731
    x = (np.asarray(rgb_nhwc, np.float64) - np.asarray(MEAN_RGB)) / 255.0
    for b, block in enumerate(BLOCKS):
        if b == 0:
            out1 = relu(conv(x, w[f"{block}/conv0/filters"], 2, w[f"{block}/conv0/bias"]))
        else:
            out1 = relu(separable(x, f"{block}/conv0", 2))
        out2 = separable(out1, f"{block}/conv1", 1)
        out3 = separable(relu(out1 + out2), f"{block}/conv2", 1)
        out4 = separable(relu(out1 + out2 + out3), f"{block}/conv3", 1)
        x = relu(out1 + out2 + out3 + out4)
    pooled = same_padded_windows(x, (7, 7), (2, 2), "valid", 0.0).mean(axis=(-2, -1))
    z = pooled.reshape(len(x), -1) @ w["fc/weights"] + w["fc/bias"]
    z = z - z.max(axis=-1, keepdims=True)
    return np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)


# ------------------------------------------------------------------------------------------------------- checks


def check_against_reference(model_bytes, weights, n=4, seed=0):
    """Max abs difference of onnxruntime vs :func:`numpy_forward` on ``n`` seeded random RGB images (uniform noise
    and smooth colour gradients). Raises ConversionError above :data:`MAX_ABS_DIFF`."""
    import onnxruntime as ort

    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 255.0, (n, INPUT_SIZE, INPUT_SIZE, 3))
    yy, xx = np.mgrid[0:INPUT_SIZE, 0:INPUT_SIZE] / (INPUT_SIZE - 1.0)
    for i in range(n // 2, n):
        f = rng.uniform(2, 9, (3, 2))
        x[i] = 127.5 + 127.5 * np.tanh(np.sin(xx[..., None] * f[:, 0]) + np.cos(yy[..., None] * f[:, 1]))
    x = x.astype(np.float32)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(model_bytes, sess_options=options, providers=["CPUExecutionProvider"])
    got = session.run(["probabilities"], {"image": x.transpose(0, 3, 1, 2)})[0]
    want = numpy_forward(weights, x.astype(np.float64))
    diff = float(np.abs(got - want).max())
    if not diff <= MAX_ABS_DIFF:
        raise ConversionError(f"onnxruntime and the numpy reference differ by {diff:.2e} (> {MAX_ABS_DIFF:g})")
    return diff


def convert(tarball=None, out=None):
    """Convert and check; returns ``(out_path, report dict)``. Raises ConversionError."""
    out = Path(out) if out else appearance.FACEAPI_BUILT_MODEL_PATH
    weights, license_text = read_weights(fetch_tarball(tarball))
    model = with_metadata(
        build_onnx(weights),
        {
            "source": f"{PACKAGE}@{VERSION} (npm, sha512-{TARBALL_SHA512}), {MANIFEST_MEMBER}",
            "labels": json.dumps(list(appearance.FACEAPI_LABELS)),
            "preprocessing": "RGB 112x112 in 0..255; (x - mean_rgb) / 255 inside the graph; NCHW",
            "license": "MIT (face-api.js, Vincent Mühler; @vladmandic/face-api, Vladimir Mandic); trained on public "
            "datasets and web images (face-api.js README)",
        },
    )
    model_bytes = model.SerializeToString()
    diff = check_against_reference(model_bytes, weights)
    return write_checked(
        out,
        model_bytes,
        diff,
        ("faceapi_LICENSE.txt", license_text),
        appearance.FACEAPI_LABELS,
        lambda image, face: appearance.faceapi_input(appearance.faceapi_crop(image, face)[None]),
        "convert_faceapi_expression",
    )


def main(argv=None):
    return run_converter(
        "convert_faceapi_expression",
        __doc__.split("\n\n")[0],
        convert,
        ("--tarball", f"the {PACKAGE}@{VERSION} .tgz (default: download from the npm registry)"),
        appearance.FACEAPI_BUILT_MODEL_PATH,
        argv,
    )


if __name__ == "__main__":
    sys.exit(main())
