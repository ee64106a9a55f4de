"""A TCP proxy for tests, in a thread of its own: between the service and PostgreSQL it forwards, stalls (holds
every byte, as a hung database or a black-holed network does) or refuses (resets every connection, as a
database that is down does)."""

import select
import socket
import struct
import threading
from typing import Literal

Mode = Literal["forward", "stall", "refuse"]


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.mode: Mode = "forward"
        self._pairs: dict[socket.socket, socket.socket] = {}
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "TcpProxy":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        for sock in [self.listener, *self._pairs]:
            sock.close()

    def set_mode(self, mode: Mode) -> None:
        """``refuse`` also resets the connections already open."""
        self.mode = mode

    def _run(self) -> None:
        while not self._stopped.is_set():
            if self.mode == "refuse":
                while self._pairs:
                    self._drop(next(iter(self._pairs)))
            watched = [self.listener, *(self._pairs if self.mode == "forward" else ())]
            for sock in select.select(watched, [], [], 0.05)[0]:
                if sock is self.listener:
                    self._accept()
                elif sock in self._pairs:
                    self._forward(sock)

    def _accept(self) -> None:
        client, _ = self.listener.accept()
        if self.mode == "refuse":
            _reset(client)
            return
        upstream = socket.create_connection(self.target)
        self._pairs[client], self._pairs[upstream] = upstream, client

    def _forward(self, sock: socket.socket) -> None:
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            self._drop(sock)
            return
        self._pairs[sock].sendall(data)

    def _drop(self, sock: socket.socket) -> None:
        peer = self._pairs.pop(sock, None)
        for each in (sock, peer):
            if each is not None:
                self._pairs.pop(each, None)
                _reset(each)


def _reset(sock: socket.socket) -> None:
    """Close with a TCP reset (SO_LINGER of zero), as a dead peer's host answers."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
