# SPDX-License-Identifier: GPL-3.0-or-later
"""The test memo (tests/memo.py) is honest: an entry lives in the clone's git-ignored build/, its key changes with
anything the result depends on (arguments, BLAS threads, code, installed distributions, assets) and not with bpy,
a hit returns exactly the stored arrays, and FACEMOTION_TEST_MEMO=0 computes every time."""

import subprocess

import memo
import numpy as np
import pytest


@pytest.fixture
def memo_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(memo, "MEMO_DIR", tmp_path / "memo")
    monkeypatch.delenv(memo.ENV_MEMO, raising=False)
    return tmp_path / "memo"


def test_the_memo_lives_in_the_git_ignored_build_folder():
    assert memo.MEMO_DIR.relative_to(memo.ROOT).parts[0] == "build"
    ignored = subprocess.run(["git", "check-ignore", "-q", str(memo.MEMO_DIR / "x.npz")], cwd=memo.ROOT)
    assert ignored.returncode == 0


def test_a_hit_returns_the_stored_arrays_and_computes_nothing(memo_dir):
    calls = []

    def compute():
        calls.append(1)
        return {"plain": np.arange(6, dtype=np.float32).reshape(2, 3)}

    first = memo.memoized_arrays("demo", {"case": "ict", "threads": 1}, compute)
    again = memo.memoized_arrays("demo", {"case": "ict", "threads": 1}, compute)
    assert len(calls) == 1 and len(list(memo_dir.glob("demo-*.npz"))) == 1
    assert again["plain"].dtype == np.float32 and np.array_equal(again["plain"], first["plain"])
    memo.memoized_arrays("demo", {"case": "ict", "threads": 2}, compute)  # another thread count: computed
    assert len(calls) == 2 and not list(memo_dir.glob("*.partial.npz"))


def test_the_memo_can_be_turned_off(memo_dir, monkeypatch):
    monkeypatch.setenv(memo.ENV_MEMO, "0")
    calls = []
    for _ in range(2):
        memo.memoized_arrays("demo", {}, lambda: calls.append(1) or {"x": np.zeros(1)})
    assert len(calls) == 2 and not memo_dir.exists()


def test_the_key_follows_what_the_result_depends_on(monkeypatch):
    key = memo.memo_key("demo", {"threads": 1})
    assert key == memo.memo_key("demo", {"threads": 1})
    assert key != memo.memo_key("demo", {"threads": 2})
    environment = memo._environment()
    assert not any(line.startswith("bpy==") for line in environment)  # the one pin 4.2 and 5.0 do not share
    assert any(line.startswith("numpy==") for line in environment)
    monkeypatch.setattr(memo, "_environment", lambda: [*environment, "numpy==0.0"])
    assert memo.memo_key("demo", {"threads": 1}) != key
    monkeypatch.undo()
    monkeypatch.setattr(memo, "_source_digest", lambda: "another core/")
    assert memo.memo_key("demo", {"threads": 1}) != key
    monkeypatch.undo()
    monkeypatch.setattr(memo, "_asset_identity", lambda: [["/elsewhere/head.obj", 1, 2]])
    assert memo.memo_key("demo", {"threads": 1}) != key
