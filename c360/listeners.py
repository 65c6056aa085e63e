"""One port served by several processes, each accepting on a listening socket of its own.

uvicorn's workers share one listening socket, and the process that wakes first accepts every connection waiting
in its queue: a burst of keep-alive connections (a store's kiosks, a load balancer's pool) can all land on one
process and stay there while the others idle. With SO_REUSEPORT (Linux) each process listens on a socket of its
own on the same port, and the kernel spreads new connections across them by a hash of each one's addresses.
"""

from __future__ import annotations

import socket
import sys
from dataclasses import dataclass
from typing import Any

BACKLOG = 2048


def spreads_connections() -> bool:
    """Whether the kernel balances connections across sockets sharing a port (Linux's SO_REUSEPORT)."""
    return sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")


def reuse_port_socket(host: str, port: int, backlog: int | None = BACKLOG) -> socket.socket:
    """A TCP socket bound to (host, port) in the port's SO_REUSEPORT group; listening unless `backlog` is None."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)   # accepted connections inherit it
        sock.bind((host, port))
        if backlog is not None:
            sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    return sock


def hold_port(host: str, port: int) -> socket.socket:
    """The port, checked free and then held for the server's lifetime: bound in the SO_REUSEPORT group but not
    listening, so it takes no connection; with port 0, the one the system picked (`getsockname()`).

    Raises OSError naming the address when something else listens there. The check binds without SO_REUSEPORT:
    with it, the bind would quietly join another running server's group and share its connections."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise OSError(exc.errno, f"cannot serve on {host}:{port}: {exc.strerror}") from exc
        port = probe.getsockname()[1]
    return reuse_port_socket(host, port, backlog=None)


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET     # as uvicorn tells an IPv6 address


@dataclass(frozen=True)
class OwnListener:
    """Stands for a listening socket in the list uvicorn hands each worker process: uvicorn starts workers with
    `spawn` and pickles that list to them, and this unpickles as a socket of the worker's own on the port."""

    host: str
    port: int
    backlog: int = BACKLOG

    def __reduce__(self) -> tuple[Any, ...]:
        return reuse_port_socket, (self.host, self.port, self.backlog)
