"""Process lifecycle of a report batch: workers that die with the batch, and stop on request.

A batch runs notebooks in worker processes — a :class:`loky.ProcessPoolExecutor` the batch owns, or
the workers of a Dask cluster — and each notebook runs in a Jupyter kernel the worker started
(:mod:`shnro_lib.batch.kernel`).  Two rules hold:

* **No orphans.**  loky itself ends its workers only through its public API (``shutdown`` with
  ``kill_workers=True`` kills each worker's whole process tree) or after ``timeout`` idle seconds;
  a worker busy with a notebook when the main process is SIGKILLed keeps running (its task queue
  stays open: the worker holds both ends of the pipe).  So the pool's public ``initializer``
  (:func:`init_pool_worker`) asks the Linux kernel to send SIGTERM to the worker when its parent
  dies (``prctl(PR_SET_PDEATHSIG)``, armed in the worker, checked against a parent that died
  before it was armed); the worker's SIGTERM handler kills its Jupyter kernels, removes the
  current task's temporary files (:func:`tracked_temporaries`) and exits.  Kernels have a line of
  defence of their own: jupyter_client starts them with ``JPY_PARENT_PID`` set and ipykernel's
  parent poller exits a kernel within a second of its worker's death, however the worker died.
  Elsewhere than on Linux there is no death signal: an idle worker ends after the pool's
  ``timeout``, a busy one after its notebook and that timeout.  Dask's worker processes exit
  when their parent (the nanny, the ``LocalCluster``) is gone; a task of a client that vanished
  runs to its end on a cluster that lives on (Dask cannot interrupt a running task), writes its
  files atomically and removes its own temporaries.
* **Stop on request.**  :class:`StopRequest` turns SIGINT/SIGTERM in the main process into a
  :class:`BatchStop` exception (while the region is computed) or a flag the scheduling loop
  polls (while notebooks run); the batch then shuts its pool down with ``kill_workers=True``
  (workers and kernels get SIGKILL) and removes the temporary files itself.  Pool workers ignore
  SIGINT (a terminal's Ctrl-C reaches the whole process group): the main process decides, so a
  stop is orderly and quiet.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
SCRATCH_DIR = ".shnro-tmp"  # per-batch scratch folder inside the output folder
TEMP_SUFFIX = ".tmp"  # shnro_lib.outputs.atomic_write names its temporary files ".<name>.<random>.tmp"
_TRACKED: list[Path] = []  # in a worker: the current task's scratch folder and output files


class BatchStop(KeyboardInterrupt):  # noqa: N818 - a request, not an error
    """Raised in the main process when SIGINT/SIGTERM asks the batch to stop.

    A ``KeyboardInterrupt``: the stage log, which records any other exception of a failed analysis
    stage (native panics included), re-raises interrupts, so a stop never caches a region with a
    stage «failed» by the stop.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = int(signum)


class FolderBusy(Exception):  # noqa: N818
    """Another batch is writing to the same output folder."""


# --------------------------------------------------------------------------- worker side


def set_parent_death_signal(sig: int = signal.SIGTERM) -> bool:
    """Linux only: have the kernel send ``sig`` to this process when its parent dies.

    The signal follows the parent *thread* that started the process: loky starts its workers from
    the thread that submits (the batch's) or from the pool's manager thread, both of which live as
    long as the pool.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def remove_paths(paths: list[Path]) -> None:
    """Remove files and folders, ignoring those already gone."""
    for p in paths:
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                p.unlink()


def temporaries_of(path: Path) -> list[Path]:
    """The temporary files ``shnro_lib.outputs.atomic_write`` may have left for ``path``."""
    return (
        sorted(path.parent.glob(f".{glob.escape(path.name)}.*{TEMP_SUFFIX}")) if path.parent.is_dir() else []
    )


@contextlib.contextmanager
def tracked_temporaries(paths: list[Path]) -> Iterator[None]:
    """While a task runs, its scratch folders and output files (whose atomic-write temporaries a worker
    ended by SIGTERM removes on the way out, :func:`remove_tracked`)."""
    _TRACKED[:] = list(paths)
    try:
        yield
    finally:
        _TRACKED.clear()


def remove_tracked() -> None:
    """Remove the tracked scratch folders and the atomic-write temporaries of the tracked outputs."""
    paths = list(_TRACKED)
    _TRACKED.clear()
    dirs = [p for p in paths if p.is_dir()]
    remove_paths(dirs)
    remove_paths([t for p in paths if p not in dirs for t in temporaries_of(p)])
    for d in dirs:  # the batch's scratch root, once its last task folder is gone
        if d.parent.name == SCRATCH_DIR:
            with contextlib.suppress(OSError):
                d.parent.rmdir()


def abandon(code: int) -> None:
    """Kill this worker's kernels, remove the current task's temporary files and exit at once."""
    from shnro_lib.batch.kernel import kill_kernels

    kill_kernels()
    remove_tracked()
    os._exit(code)


def _on_terminate(signum: int, frame: Any) -> None:
    abandon(128 + signum)


def redirect_output(log_path: str | Path) -> None:
    """Send this process's stdout/stderr (and so its kernels') to the batch log file."""
    fd = os.open(str(log_path), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def init_pool_worker(parent_pid: int, log_path: str) -> None:
    """The pool's ``initializer``: quiet, stoppable, ended by SIGTERM when the batch's main process dies.

    Parameters
    ----------
    parent_pid : the batch's main process, the parent of the pool's workers.
    log_path : the batch log, where the worker's (and its kernels') output goes; "" to keep it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_terminate)
    set_parent_death_signal(signal.SIGTERM)
    if log_path:
        redirect_output(log_path)
    if os.getppid() != parent_pid:  # the parent died before the death signal was armed
        abandon(1)


# --------------------------------------------------------------------------- main side


class StopRequest:
    """SIGINT/SIGTERM handling of the main process for the duration of a batch.

    While ``soft`` is False a signal raises :class:`BatchStop` at once (long computations);
    while it is True the signal is only recorded for the scheduling loop to act on.
    Outside the main thread nothing is installed.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.signum: int | None = None
        self.at = 0.0
        self.soft = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            for s in self.SIGNALS:
                self._previous[s] = signal.signal(s, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for s, h in self._previous.items():
            signal.signal(s, h)
        self._previous.clear()

    def _handle(self, signum: int, frame: Any) -> None:
        if self.signum is None:
            self.signum, self.at = int(signum), time.monotonic()
        if not self.soft:
            raise BatchStop(signum)

    @property
    def requested(self) -> bool:
        return self.signum is not None


def remove_temporary(out_dir: Path) -> int:
    """Remove the batch's scratch folder and atomic-write temporaries under ``out_dir``; their count."""
    found = [p for p in out_dir.rglob(f".*{TEMP_SUFFIX}") if p.is_file()]
    scratch = out_dir / SCRATCH_DIR
    if scratch.exists():
        found.append(scratch)
    remove_paths(found)
    return len(found)


@contextlib.contextmanager
def folder_lock(out_dir: Path):
    """One batch per output folder: ``.shnro.lock`` holds the owner's pid; a dead owner's lock is taken
    over."""
    lock = out_dir / ".shnro.lock"
    for _ in range(2):
        try:
            fd = os.open(str(lock), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            try:
                pid = int(lock.read_text(encoding="ascii").strip() or 0)
            except (OSError, ValueError):
                pid = 0
            if pid and pid != os.getpid() and psutil.pid_exists(pid):
                raise FolderBusy(
                    f"В папке {out_dir} уже строятся отчёты (процесс {pid}); "
                    "дождитесь его окончания или остановите его"
                ) from None
            with contextlib.suppress(OSError):
                lock.unlink()
            continue
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(str(os.getpid()))
        break
    try:
        yield lock
    finally:
        with contextlib.suppress(OSError):
            lock.unlink()
