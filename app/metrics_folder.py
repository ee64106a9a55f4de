"""The folder prometheus_client's multiprocess mode shares between workers (``PROMETHEUS_MULTIPROC_DIR``).

This module must not import prometheus_client: a process that imports it with the variable set opens its
metric files at once, and wiping the folder after that would leave it writing to deleted files. The command
line prepares the folder first; with one worker the same process serves afterwards.
"""

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def multiprocess_metrics(workers: int) -> Iterator[None]:
    """Prepare ``PROMETHEUS_MULTIPROC_DIR`` for a serve run: a folder given in the environment is wiped of
    metric files from earlier runs; with several workers and none given, a fresh temporary folder is used
    and removed at exit. Must run before the workers start (they read it when they import prometheus_client)."""
    given = os.environ.get(MULTIPROCESS_DIR)
    if given:
        folder = Path(given)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
        yield
        return
    if workers == 1:
        yield
        return
    folder = Path(tempfile.mkdtemp(prefix="route53-dnssec-metrics-"))
    os.environ[MULTIPROCESS_DIR] = str(folder)
    try:
        yield
    finally:
        del os.environ[MULTIPROCESS_DIR]
        shutil.rmtree(folder, ignore_errors=True)
