# SPDX-License-Identifier: GPL-3.0-or-later
"""Where a batch's heads run: worker processes on this machine, or tasks on a Dask distributed cluster.

Both run the same worker: facemotion's own command line, ``facemotion -q batch --worker ...`` (the ``./facemotion``
launcher's Python with ``tools/cli_entry.py`` in a checkout, ``blender -b --command facemotion`` in an installed
Blender, or ``--worker-command``), which reads one JSON request per line on stdin and answers each with one report
line (:data:`RESULT_MARK`). bpy holds one scene per process, so a head never shares a process with another
batch's state on the cluster, and a crash in Blender (an importer's segfault) ends one worker process: that head is
reported failed and the rest go on.

- **Local** (:func:`run_local`, ``--workers N``): N long-lived worker processes, each fed one head at a time from a
  shared queue (so the import of bpy, MediaPipe and the template is paid once per worker, not per head); a worker
  that dies is replaced by a fresh one for the next head.
- **Dask** (:func:`run_on_dask`, ``--scheduler ADDRESS``): one task per head, each task a fresh worker process
  started with :func:`subprocess.run` on the Dask worker, so the Dask workers need nothing of facemotion importable
  (only the worker command, e.g. the same install on shared storage) and no bpy state outlives a head. Dask
  distributed was chosen over Ray because it is pure Python with plain processes (no object store or raylet to
  deploy beside a render farm), its ``dask scheduler`` / ``dask worker`` commands and ``LocalCluster`` are all a
  farm needs, and it runs on the Python 3.11 and 3.13 builds of bpy alike.
"""

import json
import os
import queue
import shlex
import subprocess
import sys
import threading
from pathlib import Path

from ...core.errors import InputError
from ...core.io import batch_plan

#: Marks a worker's result line on its stdout (Blender and libraries may print other lines there); the worker
#: (:func:`.batch.serve_worker`) writes it, the runners here read it.
RESULT_MARK = "\x1efacemotion-batch-result "
#: Seconds to wait for a Dask scheduler to answer before giving up with one line.
CONNECT_TIMEOUT_S = 10


def worker_command(custom=None):
    """The command (list of str) that starts facemotion's CLI in a new process: ``shlex.split(custom)`` when given;
    in a Blender executable ``[blender, "-b", "--command", "facemotion"]``; with Blender as the bpy module, this
    Python with the checkout's ``tools/cli_entry.py``. Raises InputError when none applies."""
    if custom:
        return shlex.split(custom)
    import bpy

    if bpy.app.binary_path:
        return [bpy.app.binary_path, "-b", "--command", "facemotion"]
    entry = Path(__file__).resolve().parents[2] / "tools" / "cli_entry.py"
    if entry.is_file():
        return [sys.executable, str(entry)]
    raise InputError(
        "cannot tell how to start facemotion worker processes here; pass --worker-command "
        "(e.g. 'blender -b --command facemotion')"
    )


#: Thread-pool sizes read by numpy's BLAS, OpenMP code and onnxruntime/TFLite when they load.
_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def worker_env(workers=1):
    """The environment of local worker processes: this one, with a fixed ``PYTHONHASHSEED`` (so nothing can depend
    on a per-process string-hash order) and one thread for the BLAS/OpenMP pools (see :func:`.batch.fixed_threads`;
    values the user set are kept). ``workers`` is the pool's size (the parallelism is across heads)."""
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = "0"
    for name in _THREAD_ENV:
        env.setdefault(name, "1")
    return env


class WorkerDied(RuntimeError):
    """A worker process ended before it answered a request."""


class _LocalWorker:
    """One long-lived worker process and the pipes to it."""

    def __init__(self, command, workers=1):
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1, env=worker_env(workers)
        )

    def run(self, request):
        """Send one request, return the worker's report dict. Raises WorkerDied."""
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            raise WorkerDied(self._ended()) from None
        for line in self.process.stdout:
            if line.startswith(RESULT_MARK):
                return json.loads(line[len(RESULT_MARK) :])
        raise WorkerDied(self._ended())

    def _ended(self):
        code = self.process.wait()
        return _exit_text(code)

    def close(self):
        """End the worker (end of its input; it exits after the current head)."""
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def terminate(self):
        """Stop the worker now (SIGTERM: it removes its temporary files and exits)."""
        if self.process.poll() is None:
            self.process.terminate()


def _exit_text(code):
    if code is not None and code < 0:
        import signal

        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def run_local(todo, command, workers, finished):
    """Run the heads ``todo`` (list of ``(index, request)``) on ``workers`` local worker processes.

    ``command``: the full worker command line (:func:`worker_command` + the worker's batch options).
    ``finished(index, report)`` is called in this (the calling) thread as each head ends, in completion order.
    A worker that dies fails its head (report ``"failed"``, also written as the head's report file) and is replaced.
    Ctrl+C/SIGTERM stop every worker before the KeyboardInterrupt goes on.
    """
    jobs = queue.Queue()
    for item in todo:
        jobs.put(item)
    results = queue.Queue()
    live, lock = [], threading.Lock()
    stop = threading.Event()

    def slot():
        worker = None
        while not stop.is_set():
            try:
                index, request = jobs.get_nowait()
            except queue.Empty:
                break
            try:
                if worker is None:
                    worker = _LocalWorker(command, workers)
                    with lock:
                        live.append(worker)
                report = worker.run(request)
            except (WorkerDied, OSError) as exc:
                report = _failed(request, f"worker process ended ({exc}) while on this head")
                worker = None
            results.put((index, report))
        if worker is not None:
            worker.close()

    threads = [threading.Thread(target=slot, daemon=True) for _ in range(max(1, workers))]
    for thread in threads:
        thread.start()
    try:
        for _ in range(len(todo)):
            index, report = results.get()
            finished(index, report)
    except BaseException:
        stop.set()
        with lock:
            for worker in live:
                worker.terminate()
        raise
    finally:
        for thread in threads:
            thread.join(timeout=120)


def _failed(request, error):
    """A failed head's report (also written to its report file, so a resumed batch redoes it)."""
    asset = batch_plan.Asset(Path(request["source"]), request["name"])
    out_dir = Path(request["out_dir"]) if "out_dir" in request else None
    report = batch_plan.failure_report(asset, out_dir, key=request["key"], error=f"{asset.source.name}: {error}")
    if out_dir is not None:
        try:
            batch_plan.write_json(asset.report_path(out_dir), report)
        except OSError:
            pass
    return report


def check_scheduler(address):
    """Check before any work that a Dask scheduler answers at ``address``: one connection and the Dask handshake,
    all within :data:`CONNECT_TIMEOUT_S`.

    Dask's own ``connect`` bounds the TCP connection but not the handshake read after it, so a server that accepts
    and never answers (an HTTP server waiting for its request line) would hang the batch for good, and one that
    answers something else (an HTTP error page) has its bytes read as a Dask frame length (a MemoryError of
    exabytes). Here the whole exchange runs under one deadline and every failure becomes one line.

    Raises InputError: Dask distributed is not installed, ``address`` is not a Dask address (``http://...``, no
    port), or nothing answering as a Dask scheduler is there within the deadline."""
    import asyncio

    try:
        from distributed.comm import CommClosedError, connect
    except ImportError:
        raise InputError(
            "--scheduler needs Dask distributed in facemotion's Python (pip install distributed; see "
            "tools/requirements.txt)"
        ) from None
    address_hint = "give the scheduler's tcp://HOST:PORT (default port 8786), not its dashboard's http:// address"

    async def handshake():
        comm = await asyncio.wait_for(connect(address, timeout=CONNECT_TIMEOUT_S), CONNECT_TIMEOUT_S)
        await comm.close()

    try:
        asyncio.run(handshake())
    except ValueError as exc:  # Dask's address parsing: an unknown scheme, no port
        reason = str(exc).split(" (known schemes")[0]
        raise InputError(f"--scheduler {address}: not a Dask scheduler address ({reason}); {address_hint}") from None
    except CommClosedError:  # it took the connection, then closed it without a Dask handshake
        raise InputError(
            f"--scheduler {address}: the server there closed the connection without answering as a Dask scheduler; "
            f"{address_hint}"
        ) from None
    except (OSError, asyncio.TimeoutError):
        raise InputError(
            f"--scheduler {address}: no Dask scheduler answered within {CONNECT_TIMEOUT_S} s; check that "
            "'dask scheduler' runs there and that its port is open"
        ) from None
    except Exception:  # noqa: BLE001  (another protocol's bytes read as Dask frames: MemoryError, msgpack errors)
        raise InputError(
            f"--scheduler {address}: the server there answers in another protocol, not as a Dask scheduler; "
            f"{address_hint}"
        ) from None


def run_on_dask(address, todo, command, finished):
    """Run each head of ``todo`` as one task on the Dask scheduler at ``address`` (``tcp://host:8786``).

    Each task is ``subprocess.run(command, input=<request line>)`` on a Dask worker: a fresh facemotion process per
    head, in the Dask worker's own environment (the cluster's paths and settings, not this machine's).
    ``finished(index, report)`` is called here as tasks complete. Task keys carry the head's job key, so
    the scheduler's dashboard names each head. Raises InputError when Dask distributed is not installed or the
    scheduler does not answer (:func:`check_scheduler`).
    """
    check_scheduler(address)
    from distributed import Client, as_completed

    try:
        client = Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise InputError(f"--scheduler {address}: cannot reach the Dask scheduler ({exc})") from None
    try:
        futures = {}
        for index, request in todo:
            future = client.submit(
                subprocess.run,
                command,
                input=json.dumps(request) + "\n",
                capture_output=True,
                text=True,
                pure=False,
                key=f"facemotion-head-{index}-{request['key'][:12]}",
            )
            futures[future] = (index, request)
        for future in as_completed(futures, loop=client.loop):
            index, request = futures[future]
            try:
                done = future.result()
            except Exception as exc:  # noqa: BLE001  (a task the cluster could not run: that head failed)
                finished(index, _failed(request, f"task failed on the cluster ({type(exc).__name__}: {exc})"))
                continue
            # split("\n"), not splitlines(): that also cuts lines at the mark's own \x1e.
            lines = [line for line in done.stdout.split("\n") if line.startswith(RESULT_MARK)]
            if lines:
                finished(index, json.loads(lines[-1][len(RESULT_MARK) :]))
            else:
                tail = (done.stderr or "").strip().splitlines()[-1:] or [""]
                finished(
                    index,
                    _failed(
                        request,
                        f"worker process ended ({_exit_text(done.returncode)}) on the cluster {tail[0][:200]}".rstrip(),
                    ),
                )
    finally:
        client.close()
