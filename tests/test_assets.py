"""core.io.assets / core.io.atomic_io: where third-party files are found, sha256 pinning, consented downloads, caches.

Real files: the project's shared copies in ../shared/assets. Downloads are exercised with file:// URLs (no network
here) pointing at temporary mirrors, including a corrupt one.
"""

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from facemotion.core.errors import AssetError
from facemotion.core.io import assets
from facemotion.core.io.atomic_io import atomic_output, atomic_write_bytes, atomic_write_text

SHARED = assets.shared_assets_dir()
SMALL = "mediapipe/face_geometry/canonical_face_model.obj"  # 46 KB: cheap to copy and hash

needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/assets is not beside this checkout")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    """No test sees the developer's own asset/cache settings, and the user cache goes to a temp folder."""
    for name in (assets.ENV_ASSETS, assets.ENV_ALLOW_DOWNLOAD, assets.ENV_BASE_URL):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(assets.ENV_CACHE, str(tmp_path / "cache"))
    yield
    assets.set_cache_dir(None)


def _mirror(tmp_path, name, data=None):
    """A file:// mirror holding ``name`` (the shared bytes, or ``data``) in the asset layout."""
    mirror = tmp_path / "mirror"
    target = mirror / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if data is None:
        shutil.copyfile(SHARED / name, target)
    else:
        target.write_bytes(data)
    return mirror.as_uri()


# ------------------------------------------------------------------------------------------------------- manifest


def test_manifest_covers_the_needed_files():
    names = assets.asset_names()
    assert "mediapipe/face_landmarker.task" in names
    assert "mediapipe/face_geometry/canonical_face_model.obj" in names
    assert "faces/astronaut.png" in names
    assert "ict-facekit/FaceXModel/generic_neutral_mesh.obj" in names
    assert len(assets.asset_names("ict-facekit-expression")) == 57
    assert [Path(n).stem for n in assets.asset_names("ict-facekit-identity")] == [f"identity{i:03d}" for i in range(20)]
    for name in names:
        info = assets.asset_info(name)
        assert len(info.sha256) == 64 and int(info.sha256, 16) >= 0
        assert info.url.startswith("https://") and info.size > 0
    # The official Face Landmarker hash (published with the model, repeated in PROVENANCE.txt).
    assert assets.asset_info("face_landmarker.task").sha256 == (
        "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
    )
    ict = [assets.asset_info(n).url for n in names if n.startswith("ict-facekit/")]
    assert all("/da5f95a607f5e6b37755b38d3385d7f2853732e5/FaceXModel/" in url for url in ict)


@needs_shared
def test_manifest_expressions_match_vertex_indices_json():
    listed = json.loads((SHARED / "ict-facekit/FaceXModel/vertex_indices.json").read_text())["expressions"]
    stems = {Path(n).stem for n in assets.asset_names("ict-facekit-expression")}
    assert set(listed) <= stems
    assert stems - set(listed) == {"cheekRaiser_L", "cheekRaiser_R", "PupilDilate_L", "PupilDilate_R"}


@needs_shared
def test_every_pinned_file_verifies_against_the_shared_copy():
    # Hashes all 82 files (~200 MB): proves the pinned table is right, and asset_path returns the shared paths.
    for name in assets.asset_names():
        assert assets.asset_path(name, root=SHARED) == SHARED / name


def test_short_names_and_unknown_names():
    assert assets.asset_info("jawOpen.obj").name == "ict-facekit/FaceXModel/jawOpen.obj"
    with pytest.raises(AssetError, match="jawOpen.obj"):  # close-match suggestion
        assets.asset_info("jawOpn.obj")


# ----------------------------------------------------------------------------------------------------- resolution


@needs_shared
def test_resolution_order_explicit_then_env_then_shared(tmp_path, monkeypatch):
    explicit, env = tmp_path / "explicit", tmp_path / "env"
    assert assets.asset_roots()[0] == SHARED
    assert assets.asset_roots()[-1] == tmp_path / "cache" / "assets"  # download folder comes last
    monkeypatch.setenv(assets.ENV_ASSETS, str(env))
    assert assets.asset_roots()[0] == env
    assert assets.asset_roots() == [env]  # an env folder is taken at its word
    assert assets.asset_roots(explicit) == [explicit]
    # A file present in shared but not in the chosen folder is not silently taken from shared.
    with pytest.raises(AssetError, match="not found"):
        assets.asset_path(SMALL)
    monkeypatch.delenv(assets.ENV_ASSETS)
    assert assets.asset_path(SMALL) == SHARED / SMALL
    (explicit / SMALL).parent.mkdir(parents=True)
    shutil.copyfile(SHARED / SMALL, explicit / SMALL)
    assert assets.asset_path(SMALL, root=explicit) == explicit / SMALL


def test_missing_file_message_is_one_clear_line(tmp_path):
    with pytest.raises(AssetError) as info:
        assets.asset_path("face_landmarker.task", root=tmp_path / "empty", download=False)
    message = str(info.value)
    assert "\n" not in message
    assert "mediapipe/face_landmarker.task" in message
    assert str(tmp_path / "empty") in message
    assert assets.ENV_ASSETS in message and assets.ENV_ALLOW_DOWNLOAD in message
    assert "storage.googleapis.com" in message  # where the download would come from
    assert assets.missing_assets(["face_landmarker.task"], root=tmp_path / "empty") == [
        "mediapipe/face_landmarker.task"
    ]


@needs_shared
def test_corrupt_file_is_refused_with_both_hashes(tmp_path):
    root = tmp_path / "root"
    (root / SMALL).parent.mkdir(parents=True)
    data = bytearray((SHARED / SMALL).read_bytes())
    data[100] ^= 0xFF
    (root / SMALL).write_bytes(bytes(data))
    with pytest.raises(AssetError) as info:
        assets.asset_path(SMALL, root=root)
    message = str(info.value)
    expected = assets.asset_info(SMALL).sha256
    actual = hashlib.sha256(bytes(data)).hexdigest()
    assert expected[:12] in message and actual[:12] in message and str(root / SMALL) in message


@needs_shared
def test_file_changed_after_verification_is_caught(tmp_path):
    root = tmp_path / "root"
    (root / SMALL).parent.mkdir(parents=True)
    shutil.copyfile(SHARED / SMALL, root / SMALL)
    assert assets.asset_path(SMALL, root=root) == root / SMALL  # verified and cached
    with open(root / SMALL, "ab") as handle:
        handle.write(b"# appended\n")
    with pytest.raises(AssetError, match="corrupt"):
        assets.asset_path(SMALL, root=root)


# ------------------------------------------------------------------------------------------------------- download


@needs_shared
def test_download_from_file_url_is_verified_and_atomic(tmp_path):
    root = tmp_path / "root"
    url = _mirror(tmp_path, SMALL)
    path = assets.asset_path(SMALL, root=root, download=True, base_url=url)
    assert path == root / SMALL
    assert path.read_bytes() == (SHARED / SMALL).read_bytes()
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind


@needs_shared
def test_download_by_environment_into_the_user_cache(tmp_path, monkeypatch):
    # No explicit root and no FACEMOTION_ASSETS: downloads go to $FACEMOTION_CACHE/assets.
    name = "faces/astronaut.png"
    monkeypatch.setenv(assets.ENV_BASE_URL, _mirror(tmp_path, name))
    monkeypatch.setenv(assets.ENV_ALLOW_DOWNLOAD, "1")
    monkeypatch.setattr(assets, "shared_assets_dir", lambda: tmp_path / "no-shared-here")
    path = assets.asset_path(name)
    assert path == tmp_path / "cache" / "assets" / name
    assert hashlib.sha256(path.read_bytes()).hexdigest() == assets.asset_info(name).sha256


@needs_shared
def test_download_not_allowed_by_default(tmp_path):
    url = _mirror(tmp_path, SMALL)
    with pytest.raises(AssetError, match="not found"):
        assets.asset_path(SMALL, root=tmp_path / "root", base_url=url)
    assert not (tmp_path / "root" / SMALL).exists()


def test_corrupt_download_is_refused_and_nothing_is_saved(tmp_path):
    root = tmp_path / "root"
    url = _mirror(tmp_path, SMALL, data=b"<html>rate limited</html>")
    with pytest.raises(AssetError) as info:
        assets.asset_path(SMALL, root=root, download=True, base_url=url)
    assert "corrupt" in str(info.value) and assets.asset_info(SMALL).sha256[:12] in str(info.value)
    folder = root / Path(SMALL).parent
    assert not folder.exists() or list(folder.iterdir()) == []


def test_failed_download_names_the_url(tmp_path):
    url = (tmp_path / "nowhere").as_uri()
    with pytest.raises(AssetError, match="could not download") as info:
        assets.asset_path(SMALL, root=tmp_path / "root", download=True, base_url=url)
    assert url in str(info.value)


@needs_shared
def test_corrupt_file_in_download_folder_is_fetched_again_when_allowed(tmp_path):
    root = tmp_path / "root"
    (root / SMALL).parent.mkdir(parents=True)
    (root / SMALL).write_bytes(b"truncated")
    url = _mirror(tmp_path, SMALL)
    path = assets.asset_path(SMALL, root=root, download=True, base_url=url)
    assert path.read_bytes() == (SHARED / SMALL).read_bytes()


# --------------------------------------------------------------------------------------------------------- caches


def test_cache_dir_follows_override_then_env(tmp_path):
    assert assets.cache_dir() == tmp_path / "cache" / "derived"
    assert assets.cache_dir().is_dir()
    assets.set_cache_dir(tmp_path / "blender_user")
    assert assets.cache_dir("derived") == tmp_path / "blender_user" / "derived"
    assert assets.download_dir() == tmp_path / "blender_user" / "assets"
    assets.set_cache_dir(None)
    assert assets.cache_dir("x", create=False) == tmp_path / "cache" / "x"


def test_atomic_writes(tmp_path):
    target = tmp_path / "sub" / "data.bin"
    atomic_write_bytes(target, b"first")
    os.chmod(target, 0o640)
    atomic_write_text(target, "second")
    assert target.read_text() == "second"
    assert target.stat().st_mode & 0o777 == 0o640  # an existing file keeps its permissions
    with pytest.raises(RuntimeError):
        with atomic_output(target) as tmp:
            assert tmp.parent == target.parent and tmp.suffix == ".bin"
            tmp.write_bytes(b"half-writ")
            raise RuntimeError("writer failed")
    assert target.read_text() == "second"  # old content intact
    assert sorted(p.name for p in target.parent.iterdir()) == ["data.bin"]  # temp removed
