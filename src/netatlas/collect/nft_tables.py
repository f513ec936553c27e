"""Whether a namespace's ``ip6tables-save`` (or ``iptables-save``) is provably empty, without running it.

A container's packet filter is read by running ``iptables-save``, ``ip6tables-save``
and ``nft -j list ruleset`` inside its namespace (:mod:`netatlas.collect.containers`):
three processes per container, 600 at 200 containers. Most containers have no IPv6
rules at all, and there the ``ip6tables-save`` process prints nothing. That can be
known exactly from two cheap reads, so the process is not started:

* the legacy tables: ``/proc/PID/net/ip6_tables_names`` lists the x_tables tables
  of the namespace PID is in. ``ip6tables-legacy-save`` prints one block per name
  listed there, and nothing when the file is empty.
* the nf_tables tables: one ``NFT_MSG_GETTABLE`` dump for the family over netlink
  (``NETLINK_NETFILTER``), on a socket created inside the namespace by
  :mod:`netatlas.collect.netns_entry`'s thread. ``ip6tables-nft-save`` prints one
  block per xtables table it finds of that family, and nothing when there is none;
  its warning that legacy tables exist (on standard error) needs a non-empty
  ``ip6_tables_names`` too.

Both empty: the command prints nothing and exits 0, whichever backend the
machine's ``ip6tables-save`` is (legacy or nf_tables). Anything else (the file is
missing or unreadable, a table of the family exists, netlink fails): the command
is run as before. The test is never "probably empty".
"""

from __future__ import annotations

import os
import socket
import struct
from pathlib import Path

__all__ = ["FAMILIES", "NETLINK_NETFILTER", "legacy_names_empty", "nft_table_count", "provably_empty"]

NETLINK_NETFILTER = 12
FAMILIES = {"iptables-save": (2, "ip_tables_names"), "ip6tables-save": (10, "ip6_tables_names")}
"""command → (nfgen family: NFPROTO_IPV4 / NFPROTO_IPV6, its legacy names file under ``/proc/PID/net``)."""

_NLMSG_ERROR, _NLMSG_DONE = 2, 3
_NEWTABLE = (10 << 8) | 0  # NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWTABLE
_RECV = 1 << 16


def legacy_names_empty(pid: int, names_file: str) -> bool:
    """True when ``/proc/PID/net/<names_file>`` exists and lists no table."""
    try:
        return Path(f"/proc/{pid}/net/{names_file}").read_bytes().strip() == b""
    except OSError:
        return False


def nft_table_count(netns_path: str, family: int, timeout: float = 5.0) -> int:
    """How many nf_tables tables of ``family`` the namespace at ``netns_path`` holds.

    Raises:
        OSError: no such namespace, not permitted, or netlink refused the dump.
    """
    from pyroute2.netlink import NLM_F_DUMP, NLM_F_REQUEST
    from pyroute2.netlink.nfnetlink import NFNL_SUBSYS_NFTABLES
    from pyroute2.netlink.nfnetlink.nftsocket import NFT_MSG_GETTABLE, nft_table_msg

    from netatlas.collect.netns_entry import run_in

    def make() -> socket.socket:
        return socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)  # type: ignore[attr-defined,unused-ignore]

    req = nft_table_msg()
    req["header"]["type"] = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE
    req["header"]["flags"] = NLM_F_REQUEST | NLM_F_DUMP
    req["header"]["sequence_number"] = 1
    req["nfgen_family"] = family
    req.encode()
    with run_in(netns_path, make) as sock:
        sock.settimeout(timeout)
        sock.bind((0, 0))
        sock.send(req.data)
        count = 0
        while True:
            data = sock.recv(_RECV)
            offset = 0
            while offset + 16 <= len(data):
                # nlmsghdr: only the type is needed; the tables' attributes are not decoded
                length, mtype, _flags, seq, _pid = struct.unpack_from("IHHII", data, offset)
                if length < 16:
                    raise OSError(f"malformed netlink reply (length {length})")
                if seq == 1:
                    if mtype == _NLMSG_DONE:
                        return count
                    if mtype == _NLMSG_ERROR:
                        (code,) = struct.unpack_from("i", data, offset + 16)
                        if code:
                            raise OSError(-code, os.strerror(-code))
                    elif mtype == _NEWTABLE:
                        count += 1
                offset += (length + 3) & ~3


def provably_empty(pid: int, command: str) -> bool:
    """True only when ``command`` (``iptables-save``/``ip6tables-save``) in PID's namespace would print nothing.

    Both the legacy names file and the nf_tables dump must say "no table"; any
    doubt (a read fails, pyroute2 is missing, a table exists) is False.
    """
    family, names_file = FAMILIES[command]
    if not legacy_names_empty(pid, names_file):
        return False
    try:
        return nft_table_count(f"/proc/{pid}/ns/net", family) == 0
    except (OSError, ValueError, ImportError):
        return False
