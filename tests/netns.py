"""A private network namespace with loopback only, so discovery traffic stays on this machine.

Ableton Link finds its peers by multicast on every network interface, and NDI can be told to do
the same; a test that starts them inside `loopback_only()` (it and every process it starts) sends
nothing beyond 127.0.0.1, whatever interfaces the machine has. Needs CAP_SYS_ADMIN (root), as CI
has; elsewhere the test is skipped, and fails under VJ_REQUIRE_REAL=1.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import socket
import struct
from collections.abc import Iterator
from contextlib import contextmanager

from tests.conftest import need_real

CLONE_NEWNET = 0x40000000
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1


def _set_loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sh", b"lo", 0)
        flags = struct.unpack("16sh", fcntl.ioctl(s, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sh", b"lo", flags | IFF_UP))


@contextmanager
def loopback_only() -> Iterator[None]:
    """Move this thread (and the threads and processes it starts) into a new network namespace
    whose only interface is loopback; move back afterwards."""
    libc = ctypes.CDLL(None, use_errno=True)
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        entered = libc.unshare(CLONE_NEWNET) == 0
        need_real(entered, f"a private network namespace (unshare: {os.strerror(ctypes.get_errno())}; "
                           "needs root)")
        try:
            _set_loopback_up()
            yield
        finally:
            if libc.setns(home, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back to the machine's network namespace")
    finally:
        os.close(home)
