"""Process lifecycle of a report batch: workers that die with the batch, and stop on request.

A batch runs notebooks in worker processes (a local process pool or Dask workers), and each
notebook runs in a Jupyter kernel started by papermill in that worker.  Two rules hold:

* **No orphans.**  A worker watches the batch's main process, identified by pid *and* start
  time (so a reused pid is never mistaken for it): a daemon thread polls it every
  ``interval`` seconds and, on Linux, the kernel also sends SIGTERM to a pool worker when its
  parent dies (``prctl(PR_SET_PDEATHSIG)``).  When the owner is gone the worker kills its own
  descendants (the Jupyter kernels), removes the current task's temporary files and exits.
  Kernels have a second line of defence of their own: jupyter_client starts them with
  ``JPY_PARENT_PID`` set, and ipykernel's parent poller exits the kernel within a second of
  its worker's death.
* **Stop on request.**  :class:`StopRequest` turns SIGINT/SIGTERM in the main process into a
  :class:`BatchStop` exception (while the region is computed) or a flag the scheduling loop
  polls (while notebooks run); :func:`terminate_workers` then ends the workers and kernels.
  Pool workers ignore SIGINT (a terminal's Ctrl-C reaches the whole process group): the main
  process decides, so a stop is orderly and quiet.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import shutil
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

WATCHDOG_NAME = "shnro-owner-watchdog"
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
SCRATCH_DIR = ".shnro-tmp"  # per-batch scratch folder inside the output folder
TEMP_SUFFIX = ".tmp"  # shnro_lib.outputs.atomic_write names its temporary files ".<name>.<random>.tmp"


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


@dataclass(frozen=True)
class Owner:
    """The batch's main process: host, pid and start time (``psutil.Process.create_time``)."""

    host: str = ""
    pid: int = 0
    started: float = 0.0

    @classmethod
    def current(cls) -> Owner:
        return cls(host=socket.gethostname(), pid=os.getpid(), started=psutil.Process().create_time())

    def is_local(self) -> bool:
        """True when the owner runs on this machine (a remote Dask worker cannot watch it)."""
        return bool(self.pid) and self.host == socket.gethostname()

    def alive(self) -> bool:
        try:
            return psutil.Process(self.pid).create_time() == self.started
        except psutil.Error:
            return False


# --------------------------------------------------------------------------- worker side


def set_parent_death_signal(sig: int = signal.SIGTERM) -> bool:
    """Linux only: have the kernel send ``sig`` to this process when its parent dies."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def kill_descendants() -> None:
    """SIGKILL every descendant of this process (the Jupyter kernels of a worker)."""
    try:
        kids = psutil.Process().children(recursive=True)
    except psutil.Error:
        return
    for k in kids:
        with contextlib.suppress(psutil.Error):
            k.kill()
    psutil.wait_procs(kids, timeout=2)


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


class Watchdog(threading.Thread):
    """Daemon thread ending this worker when the batch's main process is gone.

    ``track(paths)`` registers the current task's temporary files, removed on the way out.
    A pool worker (``exit_when_idle``) exits even between tasks; a Dask worker only while it
    runs a task of that owner (the worker itself belongs to the cluster).
    """

    def __init__(self, owner: Owner, interval: float, exit_when_idle: bool) -> None:
        super().__init__(name=WATCHDOG_NAME, daemon=True)
        self.owner = owner
        self.interval = interval
        self.exit_when_idle = exit_when_idle
        self.paths: list[Path] = []
        self.lock = threading.Lock()

    def track(self, owner: Owner, paths: list[Path]) -> None:
        """Watch ``owner`` while a task runs; ``paths`` are its scratch folder and output files."""
        with self.lock:
            self.owner = owner
            self.paths = list(paths)

    def untrack(self) -> None:
        with self.lock:
            self.paths = []

    def run(self) -> None:
        while True:
            time.sleep(self.interval)
            with self.lock:
                owner, busy = self.owner, bool(self.paths)
            if (busy or self.exit_when_idle) and not owner.alive():
                abandon(1)

    def cleanup(self) -> None:
        """Remove the scratch folder and the atomic-write temporaries of the task's outputs."""
        with self.lock:
            paths, self.paths = self.paths, []
        dirs = [p for p in paths if p.is_dir()]
        remove_paths(dirs)
        remove_paths([t for p in paths if p not in dirs for t in temporaries_of(p)])
        for d in dirs:  # the batch's scratch root, once its last task folder is gone
            if d.parent.name == SCRATCH_DIR:
                with contextlib.suppress(OSError):
                    d.parent.rmdir()


def find_watchdog() -> Watchdog | None:
    """This process's watchdog, if one was started (the thread registry holds it, not a global)."""
    return next((t for t in threading.enumerate() if isinstance(t, Watchdog)), None)


def watch_owner(owner: Owner, interval: float = 0.25, exit_when_idle: bool = False) -> Watchdog | None:
    """Start (once per process) the watchdog of ``owner``; None when the owner is on another host."""
    if not owner.is_local():
        return None
    wd = find_watchdog()
    if wd is None:
        wd = Watchdog(owner, interval, exit_when_idle)
        wd.start()
    return wd


def abandon(code: int) -> None:
    """Kill this worker's kernels, remove the current task's temporary files and exit at once."""
    kill_descendants()
    wd = find_watchdog()
    if wd is not None:
        wd.cleanup()
    os._exit(code)


def _on_terminate(signum: int, frame: Any) -> None:
    abandon(128 + signum)


def redirect_output(log_path: str | Path) -> None:
    """Send this process's stdout/stderr (and so its kernels') to the batch log file."""
    fd = os.open(str(log_path), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def init_pool_worker(owner: Owner, log_path: str) -> None:
    """``ProcessPoolExecutor`` initializer: quiet, stoppable, tied to the batch's main process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_terminate)
    set_parent_death_signal(signal.SIGTERM)
    if log_path:
        redirect_output(log_path)
    watch_owner(owner, exit_when_idle=True)
    if not owner.alive():  # the owner died before the death signal was armed
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


def terminate_workers(workers: list[Any], grace: float = 3.0) -> None:
    """End pool workers (``multiprocessing.Process``) and their kernels.

    The workers get SIGTERM (their handler kills their kernels and removes temporaries), the
    kernels SIGKILL at once; a worker still alive after ``grace`` seconds is killed.  Workers
    are waited for through ``multiprocessing`` itself, never reaped by psutil: the pool's
    manager thread must still see their exit status, or it waits for them forever.
    """
    kernels = []
    for w in workers:
        with contextlib.suppress(psutil.Error, ValueError):
            kernels += psutil.Process(w.pid).children(recursive=True)
    for w in workers:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            w.terminate()
    for k in kernels:
        with contextlib.suppress(psutil.Error):
            k.kill()
    deadline = time.monotonic() + grace
    for w in workers:
        with contextlib.suppress(ValueError, AssertionError):
            w.join(max(0.0, deadline - time.monotonic()))
            if w.is_alive():
                w.kill()
                w.join(grace)
    psutil.wait_procs(kernels, timeout=grace)  # not our children: polled, not reaped


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
