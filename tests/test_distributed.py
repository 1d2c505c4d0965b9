"""``facemotion batch --scheduler``: the same batch fanned out over a Dask distributed cluster (a LocalCluster of
two worker processes, started here), each head a task running a fresh facemotion process on a Dask worker."""

import json

import pytest
from test_batch import glb_json, make_inputs, run_cli

distributed = pytest.importorskip("distributed", reason="Dask distributed is in tools/requirements.txt")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
    ) as local:
        yield local


def test_batch_on_dask_cluster(cluster, tmp_path):
    inputs = make_inputs(tmp_path / "in", broken=False)
    out = tmp_path / "out"
    done = run_cli("batch", inputs, "--out", out, "--scheduler", cluster.scheduler_address, "--json")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert sorted(line["status"] for line in lines[:2]) == ["ok", "ok"]
    summary = lines[2]["summary"]
    assert summary["scheduler"] == cluster.scheduler_address and summary["ok"] == 2
    # Two tasks on two Dask workers, two separate processes: the same head gives the same bytes.
    assert (out / "a" / "head.glb").read_bytes() == (out / "b" / "head.glb").read_bytes()
    assert len(glb_json(out / "a" / "head.glb")["meshes"][0]["extras"]["targetNames"]) == 52
    # Resumable on the cluster too: nothing is sent when every head is up to date.
    again = run_cli("batch", inputs, "--out", out, "--scheduler", cluster.scheduler_address, "--json")
    assert again.returncode == 0 and [json.loads(line)["status"] for line in again.stdout.splitlines()[:2]] == [
        "skipped",
        "skipped",
    ]
