"""A syslog connection to the SIEM: TCP, or TLS (RFC 5425) verified against a CA file, carrying
octet-counted frames, and telling when what was sent has been acknowledged by the receiver.

Syslog has no application acknowledgement; what we can know is that the receiving host's TCP
has acknowledged every byte (Linux ``TIOCOUTQ``: nothing left in our send queue) while the
connection is still open. The forwarder counts an entry as delivered only then.
"""

from __future__ import annotations

import fcntl
import select
import socket
import ssl
import struct
import termios
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from lienthong.errors import ValidationFailed


@dataclass(frozen=True)
class Target:
    scheme: str  # tcp | tls
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> Target:
        """``tcp://host:port`` or ``tls://host:port``."""
        parts = urlsplit(text)
        try:
            port = parts.port
        except ValueError:
            port = None
        if parts.scheme not in ("tcp", "tls") or not parts.hostname or port is None:
            raise ValidationFailed.on(
                "to",
                "invalid-syslog-target",
                f"expected tcp://host:port or tls://host:port: {text!r}",
            )
        return cls(parts.scheme, parts.hostname, port)

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


class Unacknowledged(ConnectionError):
    """The receiver closed the connection, or did not acknowledge in time."""


class Connection:
    """One open connection to the receiver."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    @classmethod
    def open(
        cls, target: Target, *, ca_file: Path | None = None, timeout: float = 10.0
    ) -> Connection:
        raw = socket.create_connection((target.host, target.port), timeout=timeout)
        if target.scheme == "tcp":
            return cls(raw)
        context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            return cls(context.wrap_socket(raw, server_hostname=target.host))
        except BaseException:
            raw.close()
            raise

    def send(self, frames: bytes) -> None:
        self.sock.sendall(frames)

    def acknowledged(self, timeout: float) -> None:
        """Return once the receiver's TCP has acknowledged everything sent; raise
        :class:`Unacknowledged` if it closed the connection or ``timeout`` passed first."""
        deadline = time.monotonic() + timeout
        while True:
            self._still_open()
            if _unacknowledged_bytes(self.sock) == 0:
                self._still_open()  # a reset that came with the last acknowledgement
                return
            if time.monotonic() >= deadline:
                raise Unacknowledged("the receiver did not acknowledge in time")
            time.sleep(0.005)

    def _still_open(self) -> None:
        readable, _, _ = select.select([self.sock], [], [], 0)
        if not readable:
            return
        self.sock.setblocking(False)
        try:
            data = self.sock.recv(4096)
        except (BlockingIOError, ssl.SSLWantReadError):
            return  # TLS housekeeping (session tickets), nothing for us
        except OSError as exc:
            raise Unacknowledged(f"the receiver reset the connection: {exc}") from exc
        finally:
            self.sock.setblocking(True)
        if not data:
            raise Unacknowledged("the receiver closed the connection")

    def close(self) -> None:
        with suppress(OSError):
            self.sock.close()


def _unacknowledged_bytes(sock: socket.socket) -> int:
    """Bytes in the send queue not yet acknowledged by the peer (Linux); 0 where unknown."""
    try:
        raw = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, struct.pack("i", 0))
    except (OSError, AttributeError):
        return 0
    return int(struct.unpack("i", raw)[0])
