# SPDX-License-Identifier: GPL-3.0-or-later
"""The one place facemotion finds third-party data files (ICT-FaceKit, MediaPipe model, test photo) and its caches.

Where an asset is looked for, in order (:func:`asset_roots`):

1. an explicit ``root`` argument, else
2. the folder in the environment variable ``FACEMOTION_ASSETS``, else
3. ``../shared/assets`` beside the checkout (``<repo>/../shared/assets``), when it exists, then
   ``<package>/bundled_assets`` (what a built extension zip ships), when it exists, then
   the download folder ``cache_dir("assets")`` (``$FACEMOTION_CACHE/assets`` or ``~/.cache/facemotion/assets``).

An explicit root or ``FACEMOTION_ASSETS`` is taken at its word: only that folder is searched (and a download, when
allowed, goes into it). Every folder uses the same layout as ``../shared/assets``, e.g.
``mediapipe/face_landmarker.task`` or ``ict-facekit/FaceXModel/jawOpen.obj``.

Each file is checked against the sha256 pinned in ``core/io/asset_manifest.json`` (data, not code: upstream URL at a
pinned commit, sha256, size) the first time a process uses it. A missing file is downloaded only with consent:
``download=True`` or ``FACEMOTION_ALLOW_DOWNLOAD=1`` (inside Blender the add-on passes ``download=True`` only when
``bpy.app.online_access`` allows it and the user asked). ``FACEMOTION_ASSET_BASE_URL`` (or ``base_url=``) replaces the
upstream URLs with ``<base>/<asset name>``, for a mirror or a ``file://`` copy; the sha256 check still applies.

Errors: :class:`~facemotion.core.errors.AssetError`, one line naming the file, where it was looked for, and how to
fix it.
The atomic-write helpers of :mod:`.atomic_io` are re-exported here for the cache writers.
"""

import difflib
import hashlib
import json
import os
import threading
import urllib.request
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import AssetError
from .atomic_io import atomic_output, atomic_write_bytes, atomic_write_text  # noqa: F401  (re-exported)

__all__ = [
    "AssetInfo",
    "ENV_ALLOW_DOWNLOAD",
    "ENV_ASSETS",
    "ENV_BASE_URL",
    "ENV_CACHE",
    "asset_info",
    "atomic_output",
    "atomic_write_bytes",
    "atomic_write_text",
    "asset_names",
    "asset_path",
    "asset_roots",
    "bundled_assets_dir",
    "cache_dir",
    "download_allowed",
    "download_dir",
    "file_sha256",
    "missing_assets",
    "set_cache_dir",
    "shared_assets_dir",
]

ENV_ASSETS = "FACEMOTION_ASSETS"
ENV_CACHE = "FACEMOTION_CACHE"
ENV_ALLOW_DOWNLOAD = "FACEMOTION_ALLOW_DOWNLOAD"
ENV_BASE_URL = "FACEMOTION_ASSET_BASE_URL"

#: The package root (the repository checkout, or the installed extension's folder).
PACKAGE_ROOT = Path(__file__).resolve().parents[2]
MANIFEST_PATH = Path(__file__).with_name("asset_manifest.json")

_DOWNLOAD_TIMEOUT_S = 60
_CHUNK = 1 << 20

_cache_override = None
_verified = {}  # str(path) -> (size, mtime_ns, sha256) of files already checked in this process
_lock = threading.RLock()  # one download / verification at a time: no two threads writing the same file


@dataclass(frozen=True)
class AssetInfo:
    """One pinned third-party file: ``name`` (path under an asset root), ``sha256`` (hex), ``size`` (bytes),
    ``url`` (upstream at a pinned commit/version), ``group`` (``mediapipe``, ``faces``, ``ict-facekit``,
    ``ict-facekit-expression``, ``ict-facekit-identity``)."""

    name: str
    sha256: str
    size: int
    url: str
    group: str


@lru_cache(maxsize=None)
def _manifest():
    with open(MANIFEST_PATH, encoding="utf-8") as handle:
        files = json.load(handle)["files"]
    return {name: AssetInfo(name=name, **entry) for name, entry in files.items()}


def asset_names(group=None):
    """Names (paths under an asset root) of the pinned assets, in manifest order; only ``group``'s when given."""
    return [name for name, info in _manifest().items() if group is None or info.group == group]


def asset_info(name):
    """The :class:`AssetInfo` of ``name``: a full name (``"mediapipe/face_landmarker.task"``) or a file name that is
    unique in the manifest (``"face_landmarker.task"``, ``"jawOpen.obj"``). Raises AssetError for unknown names."""
    manifest = _manifest()
    if name in manifest:
        return manifest[name]
    by_file = [info for key, info in manifest.items() if key.rsplit("/", 1)[-1] == name]
    if len(by_file) == 1:
        return by_file[0]
    close = difflib.get_close_matches(str(name), [k.rsplit("/", 1)[-1] for k in manifest], n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; known assets are listed in {MANIFEST_PATH.name}"
    raise AssetError(f"unknown asset {name!r}{hint}")


# --------------------------------------------------------------------------------------------------------- folders


def shared_assets_dir():
    """``<repo>/../shared/assets``: the project's read-only shared copy beside a checkout (may not exist)."""
    return PACKAGE_ROOT.parent / "shared" / "assets"


def bundled_assets_dir():
    """``<package>/bundled_assets``: assets a built extension ships so an installed add-on works offline (may not
    exist)."""
    return PACKAGE_ROOT / "bundled_assets"


def set_cache_dir(path):
    """Point every user cache (derived data and downloads) at ``path``; ``None`` restores the default.

    The Blender add-on calls this with ``bpy.utils.extension_path_user(__package__, create=True)`` because an
    extension must not write into its own folder nor assume ``~/.cache``.
    """
    global _cache_override
    _cache_override = None if path is None else Path(path).expanduser()


def _cache_base():
    if _cache_override is not None:
        return _cache_override
    env = os.environ.get(ENV_CACHE)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "facemotion"


def cache_dir(kind="derived", *, create=True):
    """User cache folder ``<base>/<kind>``; ``<base>`` is :func:`set_cache_dir`'s path, else ``$FACEMOTION_CACHE``,
    else ``~/.cache/facemotion``. ``kind``: ``"derived"`` for data computed from assets, ``"assets"`` for downloads,
    or any other sub-folder name. Created unless ``create=False``. Returns a ``Path``."""
    path = _cache_base() / kind
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def download_dir():
    """Where downloaded assets go by default: ``cache_dir("assets")`` (not created here)."""
    return cache_dir("assets", create=False)


def asset_roots(explicit=None):
    """The asset folders searched, in order, as a list of ``Path`` (see the module docstring)."""
    if explicit is not None:
        return [Path(explicit).expanduser()]
    env = os.environ.get(ENV_ASSETS)
    if env:
        return [Path(env).expanduser()]
    roots = [path for path in (shared_assets_dir(), bundled_assets_dir()) if path.is_dir()]
    roots.append(download_dir())
    return roots


def _download_target(explicit):
    """Where a download for these roots is written: the explicit / env folder, else the user download folder."""
    if explicit is not None or os.environ.get(ENV_ASSETS):
        return asset_roots(explicit)[0]
    return download_dir()


def download_allowed(download=None):
    """``download`` when given (True/False), else whether ``FACEMOTION_ALLOW_DOWNLOAD`` is ``1``/``true``/``yes``."""
    if download is not None:
        return bool(download)
    return os.environ.get(ENV_ALLOW_DOWNLOAD, "").strip().lower() in ("1", "true", "yes", "on")


# ---------------------------------------------------------------------------------------------------- verification


def file_sha256(path):
    """Hex SHA-256 of a file's bytes (read in 1 MiB chunks). Raises OSError."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _check(info, path):
    """Return ``None`` when ``path`` holds ``info``'s exact bytes, else the actual sha256 (cached per process)."""
    stat = path.stat()
    key = str(path)
    cached = _verified.get(key)
    if cached is not None and cached[:2] == (stat.st_size, stat.st_mtime_ns):
        actual = cached[2]
    else:
        actual = file_sha256(path)
        _verified[key] = (stat.st_size, stat.st_mtime_ns, actual)
    return None if actual == info.sha256 else actual


def _corrupt_message(info, path, actual):
    return (
        f"asset {info.name!r} at {path} is corrupt: sha256 should start {info.sha256[:12]} but is "
        f"{actual[:12]}; delete it and get a fresh copy from {info.url}"
    )


def _url_for(info, base_url):
    base = base_url if base_url is not None else os.environ.get(ENV_BASE_URL)
    return f"{base.rstrip('/')}/{info.name}" if base else info.url


def _download(info, dest, url, progress=None):
    """Fetch ``url`` into ``dest`` atomically, hashing while writing; refuse (AssetError) on a sha256 mismatch.

    ``progress(fraction, message)`` (optional) is called before the first and after every chunk (fraction of the
    declared size; 0 when the server declares none); a CancelledError it raises leaves no file behind."""
    digest = hashlib.sha256()
    report = progress or (lambda fraction, message: None)
    try:
        with atomic_output(dest, output=False) as tmp:
            with urllib.request.urlopen(url, timeout=_DOWNLOAD_TIMEOUT_S) as response, open(tmp, "wb") as out:
                total, done = int(response.headers.get("Content-Length") or 0), 0
                report(0.0, f"downloading {info.name}")
                while chunk := response.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    done += len(chunk)
                    report(min(done / total, 1.0) if total else 0.0, f"downloading {info.name} ({done / 1e6:.1f} MB)")
            actual = digest.hexdigest()
            if actual != info.sha256:
                # Raised inside atomic_output: the temporary file is removed and nothing replaces dest.
                raise AssetError(
                    f"download of asset {info.name!r} from {url} is corrupt: sha256 should start "
                    f"{info.sha256[:12]} but is {actual[:12]}; nothing was saved, check the URL or "
                    f"{ENV_BASE_URL}"
                )
    except AssetError:
        raise
    except (OSError, ValueError) as exc:  # URLError and HTTPError are OSErrors; ValueError: malformed URL
        raise AssetError(
            f"could not download asset {info.name!r} from {url} to {dest}: {exc}; check the network, "
            f"or set {ENV_ASSETS} to a folder holding the file"
        ) from exc
    stat = dest.stat()
    _verified[str(dest)] = (stat.st_size, stat.st_mtime_ns, info.sha256)


def asset_path(name, *, root=None, download=None, base_url=None, progress=None):
    """Return the verified ``Path`` of a pinned asset, downloading it first when it is missing and that is allowed.

    ``name``: manifest name (``"mediapipe/face_landmarker.task"``) or a unique file name (``"jawOpen.obj"``).
    ``root``: an explicit asset folder (see :func:`asset_roots`). ``download``: True/False, or None to follow
    ``FACEMOTION_ALLOW_DOWNLOAD``. ``base_url``: replaces the upstream URL with ``<base_url>/<name>`` (also
    ``FACEMOTION_ASSET_BASE_URL``; ``file://`` URLs work). ``progress``: optional ``progress(fraction, message)``
    called while downloading (see :func:`_download`; a cancel point).

    The file's sha256 is checked once per process (re-checked when its size or mtime changes). A corrupt file in
    the download folder is fetched again when downloading is allowed.

    Raises AssetError: unknown name; file missing and download not allowed (names the folders searched and both
    fixes); sha256 mismatch (names the file, expected and actual sha256 prefixes); download failed or corrupt.
    """
    info = asset_info(name)
    roots = asset_roots(root)
    target = _download_target(root) / info.name
    allowed = download_allowed(download)
    with _lock:
        for folder in roots:
            path = folder / info.name
            if not path.is_file():
                continue
            actual = _check(info, path)
            if actual is None:
                return path
            if not (allowed and path == target):
                raise AssetError(_corrupt_message(info, path, actual))
            break  # corrupt download of ours, and downloading is allowed: fetch it again below
        url = _url_for(info, base_url)
        if not allowed:
            raise AssetError(
                f"asset {info.name!r} not found (looked in {', '.join(str(r) for r in roots)}); set {ENV_ASSETS} to "
                f"a folder holding it, or allow the download from {url} (download=True or {ENV_ALLOW_DOWNLOAD}=1)"
            )
        _download(info, target, url, progress)
        return target


def missing_assets(names=None, *, root=None):
    """Names (of ``names``, default all pinned assets) found in none of :func:`asset_roots` (existence only, no
    hashing: cheap enough for a UI status line). Returns a list of str."""
    roots = asset_roots(root)
    names = asset_names() if names is None else [asset_info(n).name for n in names]
    return [n for n in names if not any((folder / n).is_file() for folder in roots)]
