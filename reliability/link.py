"""The tablet's link to the shop as a plain TCP relay that can be cut: while cut, every
connection through it is dropped and new ones are closed at once, as a dead Wi-Fi or a
broken mobile link drops them, whatever inside the browser opened them (the page or its
service worker: Playwright's offline emulation does not always reach a service worker,
playwright#2311). A cut also drops a request already on its way, so an answer can be lost
after the server did the work: the case that doubles sales in other tills.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading


class Link:
    """``127.0.0.1:<port>`` relayed to ``127.0.0.1:<target>`` until :meth:`cut`."""

    def __init__(self, target: int):
        self.target = target
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self.up = True
        self.dropped = 0  # connections cut while open
        self._closing = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def cut(self) -> None:
        with self._lock:
            self.up = False
            sockets, self._open = self._open, set()
        self.dropped += len(sockets) // 2
        for sock in sockets:
            _drop(sock)

    def restore(self) -> None:
        with self._lock:
            self.up = True

    def close(self) -> None:
        self._closing = True
        self.cut()
        _drop(self._listener)

    def __enter__(self) -> Link:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                up = self.up
            if not up:
                _drop(client)
                continue
            try:
                server = socket.create_connection(("127.0.0.1", self.target), timeout=5)
            except OSError:
                _drop(client)
                continue
            server.settimeout(None)
            with self._lock:
                if not self.up:
                    _drop(client)
                    _drop(server)
                    continue
                self._open.update((client, server))
            threading.Thread(target=self._pipe, args=(client, server), daemon=True).start()

    def _pipe(self, client: socket.socket, server: socket.socket) -> None:
        pair = {client: server, server: client}
        try:
            while True:
                readable, _, _ = select.select(list(pair), [], [], 1.0)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    pair[sock].sendall(data)
        except (OSError, ValueError):
            return
        finally:
            with self._lock:
                self._open.discard(client)
                self._open.discard(server)
            _drop(client)
            _drop(server)


def _drop(sock: socket.socket) -> None:
    """Close at once with a reset (SO_LINGER 0), as a link that is gone leaves it."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()
