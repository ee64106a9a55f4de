"""The server topologies the concurrency tests run on: one worker, several workers of one process, and several
replicas (processes) sharing one store; one set of servers per topology, on a fresh database."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import LiveServer, fresh_database_url

TOPOLOGIES = {"one-worker": (1, 1), "three-workers": (3, 1), "two-replicas": (1, 2)}


@contextmanager
def topology_servers(name: str, template_database: str, folder: Path, **settings: str) -> Iterator[list[LiveServer]]:
    """The servers of topology ``name``, all on one fresh database, with ``settings`` for each; stopped after."""
    workers, replicas = TOPOLOGIES[name]
    urls = fresh_database_url(template_database, folder)
    url = next(urls)
    started = [LiveServer(url, folder, workers=workers, **settings).start() for _ in range(replicas)]
    try:
        yield started
    finally:
        for server in started:
            server.stop()
        next(urls, None)
