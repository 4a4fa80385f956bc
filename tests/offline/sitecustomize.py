"""Put this directory on PYTHONPATH to run a Python process without network:
every IP connection and name lookup fails (Unix sockets still work)."""

import socket

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _blocked(*args, **kwargs):
    raise OSError(101, "network blocked by tests/offline/sitecustomize.py")


def _connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _blocked()
    return _real_connect(self, address)


def _connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        return 101   # ENETUNREACH
    return _real_connect_ex(self, address)


socket.socket.connect = _connect
socket.socket.connect_ex = _connect_ex
socket.getaddrinfo = _blocked
socket.create_connection = _blocked
