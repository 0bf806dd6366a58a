"""One Jupyter kernel per worker thread, kept alive across the notebooks that thread executes.

papermill starts a new kernel for every notebook by default, so every report paid the kernel's
start and the library's imports again.  Here a worker thread (a pool process, a Dask worker
thread) keeps one kernel (:class:`WorkerKernel`) and papermill executes each notebook in it
through the ``shnro-reused-kernel`` engine, which hands nbclient the running kernel's manager
and client (nbclient neither restarts nor shuts down a kernel it does not own).  The notebook
is still parameterised by papermill (the ``parameters``-tagged cell is injected) and its failing
cell is still reported the same way (``PapermillExecutionError``).

* **Clean namespace, same bytes.**  At start the kernel imports the modules the report notebooks
  import (:data:`WARM_MODULES`) and records its state (:func:`kernel_snapshot`).  Before each
  notebook :func:`kernel_clean` runs silently in it: the IPython namespace is reset (new session,
  execution count 1), the working folder is the notebook's (where papermill would run it),
  figures are closed, matplotlib's rcParams, the warning filters and registries and ``sys.path``
  are put back as recorded.  A report renders to the same bytes in a reused kernel as in a fresh
  one.
* **Failures restart.**  After a notebook fails (an error in a cell, a time-out, a dead kernel)
  or when the kernel cannot be cleaned, the kernel is shut down and a new one is started for the
  next notebook: nothing of a failed run leaks into the next report.
* **No orphans.**  Kernels are shut down when their worker process exits (``atexit`` and
  ``multiprocessing.util.Finalize``, which also runs in a forked worker that ends with
  ``os._exit``); a worker ended by SIGTERM kills them first (:func:`kill_kernels`,
  :mod:`shnro_lib.batch.process`), and a worker killed outright loses them within a second:
  jupyter_client starts each kernel with ``JPY_PARENT_PID``, and ipykernel's parent poller exits
  the kernel when its parent changes.

The kernel side (:func:`kernel_snapshot`, :func:`kernel_clean`) imports only the standard library
at module level: the kernel imports this module to run them.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
import warnings
from typing import Any

ENGINE_NAME = "shnro-reused-kernel"
# what the report notebooks import in their first code cell: imported once per kernel
WARM_MODULES = ("matplotlib", "shnro_lib.report", "shnro_lib.pipeline", "shnro_lib.profiles")
# nbclient adds this to every kernel it starts itself; a kernel started here gets the same
HISTORY_ARGS = ["--HistoryManager.hist_file=:memory:"]
CLEAN_TIMEOUT = 60  # seconds for the silent clean-up before a notebook
_KERNEL_STATE: dict[str, Any] = {}  # inside a kernel: the state recorded after the warm-up imports
_LOCAL = threading.local()  # in a worker: this thread's kernel
_STARTED: list[WorkerKernel] = []  # in a worker: every kernel this process started, shut down at exit
_EXIT_HOOK: list[Any] = []  # the process's Finalize object, once registered


class KernelNotClean(RuntimeError):
    """The silent clean-up (or warm-up) of a reused kernel failed: the kernel is replaced."""


# --------------------------------------------------------------------------- kernel side


def kernel_snapshot(modules: tuple[str, ...] = WARM_MODULES) -> None:
    """Import ``modules`` and record the state :func:`kernel_clean` restores (runs in the kernel).

    Parameters
    ----------
    modules : the modules the notebooks import; imported here once, before any notebook runs.
    """
    import importlib

    # by name: the list is data (the notebooks' imports, WARM_MODULES), and this runs inside the
    # Jupyter kernel, a separate interpreter that this module's own imports do not reach
    for name in modules:
        importlib.import_module(name)
    _KERNEL_STATE["filters"] = list(warnings.filters)
    _KERNEL_STATE["path"] = list(sys.path)
    mpl = sys.modules.get("matplotlib")
    # the backend is left alone, as matplotlib's own style reset does
    _KERNEL_STATE["rc"] = (
        {k: v for k, v in mpl.rcParams.items() if k != "backend"} if mpl is not None else None
    )


def kernel_clean(cwd: str) -> None:
    """Put the kernel back in the state of a fresh one before a notebook (runs in the kernel).

    Parameters
    ----------
    cwd : the notebook's folder, the working folder papermill would run it in.
    """
    import gc

    from IPython import get_ipython

    os.chdir(cwd)
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")  # figure numbers start at 1 again
    mpl = sys.modules.get("matplotlib")
    rc = _KERNEL_STATE.get("rc")
    if mpl is not None and rc is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mpl.rcParams.update(rc)
    if "filters" in _KERNEL_STATE:
        warnings.filters[:] = _KERNEL_STATE["filters"]
        sys.path[:] = _KERNEL_STATE["path"]
    # every warning shows again, as in a new process
    warnings.onceregistry.clear()
    for mod in list(sys.modules.values()):
        registry = getattr(mod, "__warningregistry__", None)
        if isinstance(registry, dict):
            registry.clear()
    mutated = getattr(warnings, "_filters_mutated", None)
    if mutated is not None:
        mutated()
    ip = get_ipython()
    if ip is not None:
        ip.reset(new_session=True)  # user namespace, output cache, execution count, folder history
    gc.collect()


# --------------------------------------------------------------------------- worker side


def _run_sync(coro_fn: Any, *args: Any, **kwargs: Any) -> Any:
    from jupyter_core.utils import run_sync

    return run_sync(coro_fn)(*args, **kwargs)


class WorkerKernel:
    """A kernel of this worker thread: its manager, an (asynchronous) client, and whether it is clean.

    Parameters
    ----------
    kernel_name : the Jupyter kernel (``report.yaml``: ``kernel_name``).
    extra_arguments : command-line options of the kernel.
    cwd : the folder the kernel starts in.
    """

    def __init__(self, kernel_name: str, extra_arguments: list[str], cwd: str) -> None:
        self.kernel_name = kernel_name
        self.extra_arguments = list(extra_arguments)
        self.cwd = cwd
        self.pid = os.getpid()
        self.km: Any = None
        self.kc: Any = None
        self.usable = False
        self.notebooks = 0  # notebooks executed in this kernel

    @property
    def key(self) -> tuple[str, tuple[str, ...]]:
        return self.kernel_name, tuple(self.extra_arguments)

    def start(self, timeout: float = 60) -> None:
        """Start the kernel, connect a client, import :data:`WARM_MODULES` and record the clean state."""
        from jupyter_client import KernelManager

        self.km = KernelManager(
            kernel_name=self.kernel_name, client_class="jupyter_client.asynchronous.AsyncKernelClient"
        )
        self.km.start_kernel(extra_arguments=[*self.extra_arguments, *HISTORY_ARGS], cwd=self.cwd)
        _STARTED.append(self)
        self.kc = self.km.client()
        self.kc.allow_stdin = False
        self.kc.start_channels()
        _run_sync(self.kc.wait_for_ready, timeout=timeout)
        # code sent to the kernel as text (its only interface); the kernel imports this module itself
        self.run_silent(
            f"__import__('shnro_lib.batch.kernel', fromlist=['_']).kernel_snapshot({WARM_MODULES!r})",
            timeout,
        )
        self.usable = True

    def alive(self) -> bool:
        """True when the kernel runs (a dead one is replaced before the next notebook)."""
        try:
            return self.km is not None and bool(self.km.is_alive())
        except Exception:  # noqa: BLE001 - a kernel that cannot answer counts as dead
            return False

    def run_silent(self, code: str, timeout: float = CLEAN_TIMEOUT) -> None:
        """Execute ``code`` silently (no history, no execution count); raise :class:`KernelNotClean` if it
        fails."""

        async def run() -> dict:
            msg_id = self.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
            while True:
                reply = await self.kc.get_shell_msg(timeout=timeout)
                if reply.get("parent_header", {}).get("msg_id") == msg_id:
                    return reply["content"]

        try:
            content = _run_sync(run)
        except Exception as exc:  # noqa: BLE001 - a time-out or a closed channel: the kernel is replaced
            raise KernelNotClean(f"{type(exc).__name__}: {exc}") from exc
        if content.get("status") != "ok":
            raise KernelNotClean(f"{content.get('ename', '')}: {content.get('evalue', '')}")

    def clean(self, cwd: str) -> None:
        """Reset the kernel to its recorded state, working in ``cwd``, before a notebook."""
        self.run_silent(f"__import__('shnro_lib.batch.kernel', fromlist=['_']).kernel_clean({cwd!r})")

    def shutdown(self) -> None:
        """Stop the client's channels and the kernel (at once: it holds nothing to save)."""
        self.usable = False
        if self.pid != os.getpid():  # inherited through fork: the parent's kernel, not ours
            return
        kc, km, self.kc, self.km = self.kc, self.km, None, None
        if kc is not None:
            with contextlib.suppress(Exception):
                kc.stop_channels()
        if km is not None:
            with contextlib.suppress(Exception):
                km.shutdown_kernel(now=True)
            with contextlib.suppress(Exception):
                km.cleanup_resources()
        with contextlib.suppress(ValueError):
            _STARTED.remove(self)


def shutdown_kernels() -> None:
    """Shut down every kernel this process started (at the worker's exit)."""
    for wk in list(_STARTED):
        if wk.pid == os.getpid():
            wk.shutdown()


def kill_kernels() -> None:
    """SIGKILL every kernel this process started, at once: for a worker ending on a signal (no
    messages to the kernel, no event loop; a kernel of another provisioner than jupyter_client's
    local one ends through its parent poller)."""
    for wk in list(_STARTED):
        process = getattr(getattr(wk.km, "provisioner", None), "process", None)
        if wk.pid == os.getpid() and process is not None:
            with contextlib.suppress(OSError):
                process.kill()


def _register_exit_hook() -> None:
    """Shut the kernels down when this process exits: ``atexit`` for a normal interpreter exit,
    ``multiprocessing.util.Finalize`` for a ``multiprocessing`` worker that ends with ``os._exit``
    (a forked one); a loky worker runs both (``shutdown_kernels`` does its work once)."""
    from multiprocessing import util

    if _EXIT_HOOK and _EXIT_HOOK[0][0] == os.getpid():
        return
    _EXIT_HOOK[:] = [(os.getpid(), util.Finalize(None, shutdown_kernels, exitpriority=100))]
    atexit.register(shutdown_kernels)


def worker_kernel(
    kernel_name: str, extra_arguments: list[str], cwd: str, timeout: float = 60
) -> WorkerKernel:
    """This thread's kernel, clean and working in ``cwd``: reused when it is usable, started otherwise.

    Parameters
    ----------
    kernel_name : the Jupyter kernel.
    extra_arguments : the kernel's command-line options (a kernel with other options is replaced).
    cwd : the notebook's folder.
    timeout : seconds to wait for a new kernel.

    Returns
    -------
    WorkerKernel
        A kernel whose namespace is empty and whose state is that of a fresh kernel after the
        warm-up imports.
    """
    wk: WorkerKernel | None = getattr(_LOCAL, "kernel", None)
    if wk is not None and wk.pid != os.getpid():  # a forked child inherits its parent's thread state
        wk = None
    if wk is not None and (
        not wk.usable or wk.key != (kernel_name, tuple(extra_arguments)) or not wk.alive()
    ):
        wk.shutdown()
        wk = None
    if wk is not None:
        try:
            wk.clean(cwd)
            return wk
        except KernelNotClean:
            wk.shutdown()
    _register_exit_hook()
    wk = WorkerKernel(kernel_name, extra_arguments, cwd)
    _LOCAL.kernel = wk
    try:
        wk.start(timeout)
        wk.clean(cwd)
    except Exception:
        wk.shutdown()
        raise
    return wk


def execute_in_worker_kernel(
    notebook: str,
    output: str,
    parameters: dict,
    kernel_name: str,
    extra_arguments: list[str],
    timeout: int,
) -> Any:
    """papermill's ``execute_notebook`` in this thread's reused kernel.

    Parameters
    ----------
    notebook : the source notebook (``.ipynb``); it runs in its own folder.
    output : where papermill writes the executed notebook (also when a cell fails).
    parameters : injected after the ``parameters``-tagged cell.
    kernel_name, extra_arguments : the kernel to run it in.
    timeout : seconds per cell.

    Returns
    -------
    nbformat.NotebookNode
        The executed notebook.

    Raises
    ------
    papermill.PapermillExecutionError
        When a cell fails; the kernel is replaced before the next notebook, as after any failure.
    """
    import papermill as pm

    register_engine()
    cwd = os.path.dirname(os.path.abspath(notebook))
    wk = worker_kernel(kernel_name, extra_arguments, cwd)
    try:
        nb = pm.execute_notebook(
            notebook,
            output,
            parameters=dict(parameters),
            engine_name=ENGINE_NAME,
            kernel_name=kernel_name,
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            execution_timeout=timeout,
            km=wk.km,
            kc=wk.kc,
        )
    except BaseException:
        wk.shutdown()  # whatever the failure left in the kernel goes with it
        raise
    wk.notebooks += 1
    return nb


def register_engine() -> None:
    """Register the ``shnro-reused-kernel`` papermill engine (once per process)."""
    from papermill.engines import papermill_engines

    if ENGINE_NAME not in papermill_engines._engines:
        papermill_engines.register(ENGINE_NAME, _reused_kernel_engine())


def _reused_kernel_engine() -> type:
    """papermill's nbclient engine, executing in a running kernel through the given manager and client."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args

    class ReusedKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man: Any,
            kernel_name: str,
            log_output: bool = False,
            stdout_file: Any = None,
            stderr_file: Any = None,
            start_timeout: int = 60,
            execution_timeout: int | None = None,
            km: Any = None,
            kc: Any = None,
            **kwargs: Any,
        ) -> Any:
            # the same arguments as papermill's own engine gives nbclient, plus the kernel
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            final = merge_kwargs(
                kwargs,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logger,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            client = PapermillNotebookClient(nb_man, km=km, **final)
            client.kc = kc  # nbclient starts a client of its own only when it has none
            return client.execute()

    return ReusedKernelEngine
