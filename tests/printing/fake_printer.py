"""A receipt printer on 127.0.0.1 for the tests: it takes jobs, refuses, stalls or hangs up."""

from __future__ import annotations

import socket
import threading


def free_port() -> int:
    """A port on 127.0.0.1 where nothing listens (an unplugged printer's)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class FakePrinter:
    """A listening socket on 127.0.0.1 and a thread that plays a printer's part.

    ``behaviour``: ``"read_all"`` (keeps every byte until the client closes), ``"never_read"``
    (accepts, then reads nothing) or ``"read_little"`` (reads 1 kB, then closes).
    """

    def __init__(self, behaviour: str, *, receive_buffer: int | None = None, port: int = 0) -> None:
        self.behaviour = behaviour
        self.received = bytearray()
        self.done = threading.Event()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer:  # inherited by the accepted connection
            self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        # A given port comes back to life where a test "unplugged" the printer before.
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(1)
        # Short waits, again and again until the test is done: a job may come long after
        # the printer was switched on (a browser test sets the printer up first), and one
        # sent after the fake stopped listening would land in the kernel's backlog unread.
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
                break
            except TimeoutError:
                if self.done.is_set():
                    return
            except OSError:
                return
        with connection:
            connection.settimeout(5)
            if self.behaviour == "read_all":
                while chunk := connection.recv(65536):
                    self.received += chunk
            elif self.behaviour == "read_little":
                self.received += connection.recv(1024)
            else:
                self.done.wait(5)

    def __enter__(self) -> FakePrinter:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.listener.close()
        self.thread.join(5)
        assert not self.thread.is_alive()
