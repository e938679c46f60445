"""A syslog receiver on 127.0.0.1 for the tests: TCP or TLS, octet-counted frames (RFC 6587),
each message kept as received. ``stop`` drains what has arrived and closes, as a server that
shuts down cleanly does; ``start`` again on the same port brings it back."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable

RECEIVE_BUFFER = 16_384
READ_BYTES = 4_096
DRAIN_SECONDS = 0.05


class Receiver:
    def __init__(self, context: ssl.SSLContext | None = None, port: int = 0) -> None:
        self.context = context
        self.port = port
        self.messages: list[bytes] = []
        self.stop_after: int | None = None  # stop by itself after this many messages
        self.lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._full = threading.Event()  # stop_after reached
        self.stopped = threading.Event()

    def start(self) -> Receiver:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # A small receive buffer (inherited by each connection), read in small pieces: the
        # sender cannot run far ahead of what the receiver has taken, so a receiver stopping
        # after N messages stops the stream there, not after everything already buffered.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(8)
        listener.settimeout(0.1)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._stopping.clear()
        self._full.clear()
        self.stopped.clear()
        accept = threading.Thread(target=self._accept, daemon=True)
        accept.start()
        self._threads = [accept]
        return self

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            worker = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            worker.start()
            self._threads.append(worker)

    def _serve(self, raw: socket.socket) -> None:
        try:
            conn = self.context.wrap_socket(raw, server_side=True) if self.context else raw
        except (OSError, ssl.SSLError):
            raw.close()
            return
        conn.settimeout(0.1)
        buffer = b""
        drain_until: float | None = None
        try:
            while True:
                if self._stopping.is_set():
                    # Read what has arrived, for a moment, then close: a sender that keeps
                    # sending does not hold a stopping receiver open.
                    if drain_until is None:
                        drain_until = time.monotonic() + DRAIN_SECONDS
                        conn.settimeout(0.01)
                    elif time.monotonic() > drain_until:
                        return
                try:
                    chunk = conn.recv(READ_BYTES)
                except TimeoutError:
                    if self._stopping.is_set():
                        return
                    continue
                except OSError:
                    return
                if not chunk:
                    return
                buffer += chunk
                buffer = self._frames(buffer)
                if self._full.is_set():  # stop_after reached: what has arrived, then stop
                    self._drain(conn, buffer)
                    threading.Thread(target=self.stop, daemon=True).start()
                    return
        finally:
            conn.close()

    def _drain(self, conn: socket.socket, buffer: bytes) -> None:
        """Read what the kernel holds now (at most twice the receive buffer), not more."""
        conn.setblocking(False)
        taken = 0
        while taken < 2 * RECEIVE_BUFFER:
            try:
                chunk = conn.recv(READ_BYTES)
            except OSError:  # nothing more has arrived (or the TLS layer wants more)
                break
            if not chunk:
                break
            taken += len(chunk)
            buffer = self._frames(buffer + chunk)

    def _frames(self, buffer: bytes) -> bytes:
        while b" " in buffer:
            length, _, rest = buffer.partition(b" ")
            size = int(length)
            if len(rest) < size:
                break
            with self.lock:
                self.messages.append(rest[:size])
                full = self.stop_after is not None and len(self.messages) >= self.stop_after
            buffer = rest[size:]
            if full:
                self.stop_after = None
                self._full.set()
        return buffer

    def stop(self) -> None:
        self._stopping.set()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=5)
        self.stopped.set()

    def wait_for(self, check: Callable[[list[bytes]], bool], timeout: float = 20.0) -> bool:
        deadline = threading.Event()
        for _ in range(int(timeout / 0.05)):
            with self.lock:
                if check(list(self.messages)):
                    return True
            deadline.wait(0.05)
        return False
