"""Port checks for the local services."""

from __future__ import annotations

import socket
import time


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def choose_port(preferred: int, name: str, log=print) -> int:
    """The preferred port when free, else another free one, saying so."""
    if port_is_free(preferred):
        return preferred
    chosen = free_port()
    log(f"{name}: port {preferred} is busy; using {chosen} instead")
    return chosen


def wait_for_port(
    port: int, host: str = "127.0.0.1", timeout: float = 60.0, name: str = "service"
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"{name} did not open {host}:{port} within {timeout:.0f}s")
