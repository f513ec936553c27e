"""The small processes the lab runs inside its namespaces (``python -m netatlas.lab._serve``).

Each is started with ``ip netns exec <ns> python -m netatlas.lab._serve <what> …``, so
every socket it opens is in that namespace. They use the standard library (and
dnspython for DNS), write ``READY`` to ``--ready FILE`` once bound, and never touch
anything but their own sockets.

* ``listen ADDR PORT BANNER``: a TCP service; each connection gets ``BANNER\\n``.
* ``relay ADDR PORT TO_ADDR TO_PORT``: a TCP relay (netsh portproxy, Docker Desktop's
  Windows-side listener); a connection it cannot pass on is closed without a word.
* ``relay-out ADDR PORT SOCKET`` / ``relay-in SOCKET TO_ADDR TO_PORT``: the two halves of
  WSL's localhost forwarding, joined by a Unix socket (path sockets ignore namespaces,
  as WSL's Hyper-V socket crosses the VM boundary).
* ``dns --listen ADDR … --record NAME=ADDR … [--forward ADDR]``: A records it knows,
  NODATA for other types of those names, the rest forwarded (or NXDOMAIN).
* ``probe-tcp [--timeout S] ADDR:PORT …``: connect to each at once, read a line, print
  one JSON line per target (used by verify).
* ``dns-answers NAME …``: the ``dns-answers-json`` evidence of this namespace: every
  server of ``/etc/resolv.conf`` (which ``ip netns exec`` bind-mounts) asked directly.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import socket
import sys
import threading
import time
from pathlib import Path

_IO_TIMEOUT = 3.0


def _ready(path: str | None) -> None:
    if path:
        Path(path).write_text(f"READY {os.getpid()}\n", encoding="utf-8")


def _tcp_server(addr: str, port: int) -> socket.socket:
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(64)
    return s


def _serve_forever(server: socket.socket, handle: object) -> None:
    while True:
        conn, _peer = server.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()  # type: ignore[arg-type]


def _pipe(a: socket.socket, b: socket.socket) -> None:
    def one(src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)

    t = threading.Thread(target=one, args=(b, a), daemon=True)
    t.start()
    one(a, b)
    t.join(_IO_TIMEOUT)
    a.close()
    b.close()


def cmd_listen(addr: str, port: int, banner: str, ready: str | None) -> None:
    server = _tcp_server(addr, port)
    _ready(ready)
    line = (banner + "\n").encode()

    def handle(conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            conn.sendall(line)

    _serve_forever(server, handle)


def _dial(addr: str, port: int) -> socket.socket | None:
    try:
        return socket.create_connection((addr, port), timeout=_IO_TIMEOUT)
    except OSError:
        return None


def cmd_relay(addr: str, port: int, to_addr: str, to_port: int, ready: str | None) -> None:
    server = _tcp_server(addr, port)
    _ready(ready)

    def handle(conn: socket.socket) -> None:
        back = _dial(to_addr, to_port)
        if back is None:
            conn.close()
            return
        _pipe(conn, back)

    _serve_forever(server, handle)


def cmd_relay_out(addr: str, port: int, path: str, ready: str | None) -> None:
    server = _tcp_server(addr, port)
    _ready(ready)

    def handle(conn: socket.socket) -> None:
        back = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        back.settimeout(_IO_TIMEOUT)
        try:
            back.connect(path)
        except OSError:
            back.close()
            conn.close()
            return
        back.settimeout(None)
        _pipe(conn, back)

    _serve_forever(server, handle)


def cmd_relay_in(path: str, to_addr: str, to_port: int, ready: str | None) -> None:
    with contextlib.suppress(FileNotFoundError):
        Path(path).unlink()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(64)
    _ready(ready)

    def handle(conn: socket.socket) -> None:
        back = _dial(to_addr, to_port)
        if back is None:
            conn.close()
            return
        _pipe(conn, back)

    _serve_forever(server, handle)


def cmd_dns(listen: list[str], records: list[str], forward: str | None, ready: str | None) -> None:
    import dns.flags
    import dns.message
    import dns.rcode
    import dns.rdatatype
    import dns.rrset

    table: dict[str, list[str]] = {}
    for rec in records:
        name, _, addr = rec.partition("=")
        table.setdefault(name.strip().rstrip(".").casefold(), []).append(addr.strip())
    socks = []
    for addr in listen:
        s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((addr, 53))
        socks.append(s)
    _ready(ready)

    def answer(s: socket.socket, data: bytes, peer: tuple[str, int]) -> None:
        try:
            q = dns.message.from_wire(data)
        except Exception:
            return
        if not q.question:
            return
        qname = q.question[0].name
        key = qname.to_text().rstrip(".").casefold()
        rdtype = q.question[0].rdtype
        if key in table:
            resp = dns.message.make_response(q)
            resp.flags |= dns.flags.AA | dns.flags.RA
            if rdtype == dns.rdatatype.A:
                v4 = [a for a in table[key] if ":" not in a]
                if v4:
                    resp.answer.append(dns.rrset.from_text_list(qname, 0, "IN", "A", v4))
            s.sendto(resp.to_wire(), peer)
            return
        if forward:
            up = socket.socket(socket.AF_INET6 if ":" in forward else socket.AF_INET, socket.SOCK_DGRAM)
            up.settimeout(2.0)
            try:
                up.sendto(data, (forward, 53))
                reply, _ = up.recvfrom(65535)
                s.sendto(reply, peer)
                return
            except OSError:
                resp = dns.message.make_response(q)
                resp.set_rcode(dns.rcode.SERVFAIL)
                s.sendto(resp.to_wire(), peer)
                return
            finally:
                up.close()
        resp = dns.message.make_response(q)
        resp.flags |= dns.flags.RA
        resp.set_rcode(dns.rcode.NXDOMAIN)
        s.sendto(resp.to_wire(), peer)

    def loop(s: socket.socket) -> None:
        while True:
            data, peer = s.recvfrom(65535)
            threading.Thread(target=answer, args=(s, data, peer), daemon=True).start()

    threads = [threading.Thread(target=loop, args=(s,), daemon=True) for s in socks]
    for t in threads:
        t.start()
    while True:
        time.sleep(3600)


def _probe_tcp(addr: str, port: int, timeout: float) -> dict[str, object]:
    t0 = time.monotonic()
    out: dict[str, object] = {"address": addr, "port": port}
    try:
        s = socket.create_connection((addr, port), timeout=timeout)
    except TimeoutError:
        out["status"] = "timeout"
    except OSError as exc:
        out["status"] = {
            errno.ECONNREFUSED: "refused",
            errno.ENETUNREACH: "unreachable",
            errno.EHOSTUNREACH: "unreachable",
        }.get(exc.errno or 0, "error")
        out["error"] = str(exc)
    else:
        with s:
            s.settimeout(timeout)
            data = b""
            try:
                while b"\n" not in data and len(data) < 512:
                    chunk = s.recv(512)
                    if not chunk:
                        break
                    data += chunk
            except OSError:
                pass
            line = data.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
            out["status"] = "answered" if line else "closed"
            if line:
                out["banner"] = line
    out["elapsed_ms"] = round((time.monotonic() - t0) * 1000, 1)
    return out


def cmd_probe_tcp(targets: list[str], timeout: float) -> None:
    """Connect to every ADDR:PORT at once; one JSON line per target, in order."""
    results: list[dict[str, object]] = [{} for _ in targets]

    def one(i: int, target: str) -> None:
        host, _, port = target.rpartition(":")
        results[i] = _probe_tcp(host.strip("[]"), int(port), timeout)

    threads = [threading.Thread(target=one, args=(i, t), daemon=True) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout * 3 + 5)
    for r in results:
        sys.stdout.write(json.dumps(r) + "\n")


def cmd_dns_answers(names: list[str], timeout: float, deadline: float) -> None:
    from netatlas.collect.names import dns_answers, servers_of

    try:
        conf = Path("/etc/resolv.conf").read_bytes()
    except OSError:
        conf = b""
    servers = [(s, 53) for s in servers_of(conf)]
    if not servers:  # no resolver configured here: nothing to ask, nothing answered
        sys.stdout.write("[]\n")
        return
    res = dns_answers(servers, names, timeout=timeout, deadline=deadline)
    if res.failure is not None:
        sys.stderr.write(res.failure.message + "\n")
        raise SystemExit(2)
    sys.stdout.buffer.write(res.stdout)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="netatlas.lab._serve")
    p.add_argument("--ready")
    sub = p.add_subparsers(dest="what", required=True)
    a = sub.add_parser("listen")
    a.add_argument("addr")
    a.add_argument("port", type=int)
    a.add_argument("banner")
    a = sub.add_parser("relay")
    a.add_argument("addr")
    a.add_argument("port", type=int)
    a.add_argument("to_addr")
    a.add_argument("to_port", type=int)
    a = sub.add_parser("relay-out")
    a.add_argument("addr")
    a.add_argument("port", type=int)
    a.add_argument("socket")
    a = sub.add_parser("relay-in")
    a.add_argument("socket")
    a.add_argument("to_addr")
    a.add_argument("to_port", type=int)
    a = sub.add_parser("dns")
    a.add_argument("--listen", action="append", default=[])
    a.add_argument("--record", action="append", default=[])
    a.add_argument("--forward")
    a = sub.add_parser("probe-tcp")
    a.add_argument("--timeout", type=float, default=3.0)
    a.add_argument("targets", nargs="+")
    a = sub.add_parser("dns-answers")
    a.add_argument("--timeout", type=float, default=1.0)
    a.add_argument("--deadline", type=float, default=8.0)
    a.add_argument("names", nargs="+")
    ns = p.parse_args(argv)
    if ns.what == "listen":
        cmd_listen(ns.addr, ns.port, ns.banner, ns.ready)
    elif ns.what == "relay":
        cmd_relay(ns.addr, ns.port, ns.to_addr, ns.to_port, ns.ready)
    elif ns.what == "relay-out":
        cmd_relay_out(ns.addr, ns.port, ns.socket, ns.ready)
    elif ns.what == "relay-in":
        cmd_relay_in(ns.socket, ns.to_addr, ns.to_port, ns.ready)
    elif ns.what == "dns":
        cmd_dns(ns.listen, ns.record, ns.forward, ns.ready)
    elif ns.what == "probe-tcp":
        cmd_probe_tcp(ns.targets, ns.timeout)
    elif ns.what == "dns-answers":
        cmd_dns_answers(ns.names, ns.timeout, ns.deadline)


if __name__ == "__main__":
    main()
