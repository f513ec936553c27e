"""A sealed network namespace for the door's tests: no link to anywhere, a listener that counts bytes.

Run as ``unshare -n -- python3 sealed.py``: it brings ``lo`` up, adds a veth pair
``d0``/``d1`` with both ends inside (10.250.0.1/24 on ``d0``) and a ``macvlan`` on
``d0`` (``mv0``, 10.251.0.1/24: an interface kind that could leave a real machine),
listens on 0.0.0.0 at a free port, prints that port, and when its standard input
closes prints how many connections it accepted and how many bytes they sent it.
"""

from __future__ import annotations

import selectors
import socket
import subprocess
import sys


def main() -> None:
    """Set up the namespace, serve, report."""
    for argv in (
        ["ip", "link", "set", "lo", "up"],
        ["ip", "link", "add", "d0", "type", "veth", "peer", "name", "d1"],
        ["ip", "addr", "add", "10.250.0.1/24", "dev", "d0"],
        ["ip", "link", "set", "d0", "up"],
        ["ip", "link", "set", "d1", "up"],
        ["ip", "link", "add", "mv0", "link", "d0", "type", "macvlan"],
        ["ip", "addr", "add", "10.251.0.1/24", "dev", "mv0"],
        ["ip", "link", "set", "mv0", "up"],
    ):
        subprocess.run(argv, check=True)
    srv = socket.socket()
    srv.bind(("0.0.0.0", 0))
    srv.listen(64)
    srv.setblocking(False)
    print(srv.getsockname()[1], flush=True)
    sel = selectors.DefaultSelector()
    sel.register(srv, selectors.EVENT_READ, "accept")
    sel.register(sys.stdin, selectors.EVENT_READ, "stdin")
    received = 0
    accepted = 0
    done = False
    while not done:
        for key, _ev in sel.select():
            if key.data == "accept":
                conn, _a = srv.accept()
                accepted += 1
                conn.setblocking(False)
                sel.register(conn, selectors.EVENT_READ, "conn")
            elif key.data == "conn":
                s = key.fileobj
                assert isinstance(s, socket.socket)
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                received += len(data)
                if not data:
                    sel.unregister(s)
                    s.close()
            else:
                done = True
    print(f"{accepted} {received}", flush=True)


if __name__ == "__main__":
    main()
