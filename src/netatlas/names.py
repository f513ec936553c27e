"""What a name resolves to from each vantage, and who wrote each answer.

The same name can give different answers in different places: ``host.docker.internal``
is Docker's embedded DNS inside a container, but a line of ``/etc/hosts`` in a WSL
distro, which WSL copied from the Windows hosts file, where Docker Desktop wrote it.
:func:`resolve` lists every answer the atlas holds for a name, per vantage, with that
provenance, and marks the one an application gets first.

Order follows glibc's default ``hosts: files dns`` (and Windows' DNS client, which
also consults its hosts file before asking a server): the first matching hosts-file
line wins, later lines for the same name are never seen, and DNS is asked only when the
hosts file has no line. When the vantage's ``/etc/nsswitch.conf`` was read (the atlas'
``settings["nss_hosts"]``, per vantage id; a named namespace without its own file uses
its host's), the order of ``files`` and ``dns`` on its ``hosts:`` line decides instead:
``hosts: dns files`` puts DNS answers first. Only those two are weighed; action items
(``[NOTFOUND=return]``) and other modules (``mdns4_minimal``, ``resolve``, which reads
the hosts file itself) are left out, and a source missing from the line goes last.
``nss`` answers (``getent``) are what the system resolver actually returned; they come
last because they confirm, rather than decide, the order.

Split DNS on Windows: a name under a namespace of the host's Name Resolution Policy
Table (``Get-DnsClientNrptPolicy``: a VPN's ``.corp.example.com`` rule, DirectAccess)
is sent by the DNS client to that rule's servers, not to the adapters' (the hosts file
is still read first). :func:`nrpt_rule` finds the rule, and a DNS answer on that
vantage says which servers answer the name there.

Example:
    >>> from netatlas.model.atlas import Atlas, NameRecord
    >>> from ipaddress import ip_address
    >>> atlas = Atlas("netatlas-atlas/1", (), (), (), names=(
    ...     NameRecord("wsl:Ubuntu", "db.example", (ip_address("192.0.2.9"),), "dns",
    ...                server=ip_address("192.0.2.1")),
    ...     NameRecord("wsl:Ubuntu", "db.example", (ip_address("192.0.2.7"),), "hosts",
    ...                file="/etc/hosts", line=9),
    ... ))
    >>> [(str(r.addresses[0]), r.first) for r in resolve(atlas, "DB.example.")]
    [('192.0.2.7', True), ('192.0.2.9', False)]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from netatlas.model.atlas import Atlas, NameRecord
from netatlas.model.evidence import VantageKind
from netatlas.model.facts import IPAddress, _Model

__all__ = [
    "Resolution",
    "lookup_order",
    "normalize",
    "nrpt_rule",
    "provenance",
    "records_for",
    "resolve",
    "unanswered",
    "writer_name",
]

_SOURCE_ORDER = {"hosts": 0, "docker-dns": 1, "dns": 1, "nss": 2}

_WRITERS = {
    "docker-desktop": "Docker Desktop",
    "docker-desktop-kube": "Docker Desktop",
    "wsl": "WSL",
    "docker": "Docker Engine",
}


@dataclass(frozen=True, slots=True)
class Resolution(_Model):
    """One answer for a name from one vantage, with where it came from.

    Args:
        vantage: the vantage id the answer was seen from.
        name: the name as the source spelled it.
        addresses: what it resolves to.
        source: ``hosts``, ``dns``, ``docker-dns`` or ``nss``.
        provenance: the same facts in plain words (file and line, writer, server).
        file, line, marker, writer, server, evidence: the provenance fields of the
            underlying :class:`~netatlas.model.atlas.NameRecord`.
        origin: for an entry a generator copied from another file, the record it was
            copied from (``host.docker.internal`` in WSL's ``/etc/hosts`` comes from
            Docker Desktop's line in the Windows hosts file), in plain words.
        order: position in the resolver's lookup order for this vantage (0 first).
        first: whether an application on this vantage gets this answer.
        status: for a query that got no address, what the server said (``NXDOMAIN``).
    """

    vantage: str
    name: str
    addresses: tuple[IPAddress, ...]
    source: str
    provenance: str
    file: str | None = None
    line: int | None = None
    marker: str | None = None
    writer: str | None = None
    server: IPAddress | None = None
    evidence: str | None = None
    origin: str | None = None
    order: int = 0
    first: bool = False
    status: str | None = None


def normalize(name: str) -> str:
    """A name as resolvers compare it: case-folded, without the root dot."""
    return name.strip().rstrip(".").casefold()


def writer_name(writer: str | None) -> str | None:
    """The generator's name for people (``wsl`` → ``WSL``)."""
    if writer is None:
        return None
    return _WRITERS.get(writer, writer)


def provenance(record: NameRecord) -> str:
    """Where an answer came from, in plain words.

    Example:
        >>> from ipaddress import ip_address
        >>> provenance(NameRecord("wsl:kali-linux", "Z820", (ip_address("127.0.1.1"),), "hosts",
        ...                       file="/etc/hosts", line=5, writer="wsl"))
        '/etc/hosts line 5, written by WSL'
        >>> provenance(NameRecord("container:web", "host.docker.internal",
        ...            (ip_address("192.168.65.254"),), "docker-dns", server=ip_address("127.0.0.11")))
        "Docker's embedded DNS (127.0.0.11)"
    """
    if record.source == "hosts":
        where = record.file or "hosts file"
        if record.line is not None:
            where += f" line {record.line}"
        who = writer_name(record.writer)
        if record.marker and record.marker.startswith("copied by"):
            return f"{where}, {record.marker}"
        if who:
            where += f", written by {who}"
        return where
    if record.source == "docker-dns":
        return f"Docker's embedded DNS ({record.server or '127.0.0.11'})"
    if record.source == "nss":
        return "the system resolver (hosts file, then DNS)"
    if record.server is not None:
        return f"DNS server {record.server}"
    return "DNS"


def records_for(atlas: Atlas, name: str) -> list[NameRecord]:
    """Every record of ``name`` (compared as resolvers do) that has an answer, in atlas order.

    A single-label name is sent to DNS with the search domains appended, so
    ``nslookup Z820`` answers as ``Z820.fios-router.home``: that DNS answer is Z820's
    too. Looked up in an index built once per atlas: the name-divergence check asks
    for every name, and a 50 000-line ad-block hosts file made a scan over all
    records per name take minutes.
    """
    key = normalize(name)
    exact, first_label = _name_index(atlas)
    found = exact.get(key, [])
    if "." not in key:
        found = sorted({*found, *first_label.get(key, [])})
    return [atlas.names[i] for i in found]


_INDEX: list[tuple[tuple[NameRecord, ...], dict[str, list[int]], dict[str, list[int]]]] = []


def _name_index(atlas: Atlas) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """(normalized name → record positions, first label of DNS answers → positions), for answered records.

    Kept for the last atlas asked (by identity of its name table; atlases are immutable).
    """
    names = atlas.names
    if _INDEX and _INDEX[0][0] is names:
        return _INDEX[0][1], _INDEX[0][2]
    exact: dict[str, list[int]] = {}
    first_label: dict[str, list[int]] = {}
    for i, r in enumerate(names):
        if not r.addresses:
            continue
        got = normalize(r.name)
        exact.setdefault(got, []).append(i)
        if r.source in ("dns", "docker-dns"):
            first_label.setdefault(got.split(".", 1)[0], []).append(i)
    _INDEX[:] = [(names, exact, first_label)]
    return exact, first_label


def _node_of(atlas: Atlas, vantage: str) -> str | None:
    ids = _vantage_ids(atlas, vantage)
    return next((n.id for n in atlas.nodes if ids & set(n.vantages) or vantage in (n.id, n.name)), None)


def _covers(namespace: str, key: str) -> bool:
    """NRPT matching: ``.corp.example`` covers every name under it, ``host.corp.example`` itself only."""
    ns = namespace.casefold().rstrip(".") if namespace != "." else "."
    if ns in (".", ""):
        return True
    return key.endswith(ns) and key != ns[1:] if ns.startswith(".") else key == ns


def nrpt_rule(atlas: Atlas, name: str, vantage: str) -> Mapping[str, object] | None:
    """The NRPT rule of ``vantage``'s node that decides where ``name`` is sent, if any.

    The most specific namespace wins (the longest), as the Windows DNS client picks.
    Returns the rule as the atlas holds it (``namespace``, ``servers``, ``direct_access``,
    ``query_policy``, ``node``, ``evidence``); ``servers`` empty is an exemption (the
    adapters' own servers answer).

    Example:
        >>> from netatlas.model.atlas import Atlas
        >>> rules = [{"namespace": ".corp.example", "servers": ["10.8.0.53"], "node": "node:host"}]
        >>> atlas = Atlas("netatlas-atlas/1", (), (), (), settings={"nrpt_rules": rules})
        >>> nrpt_rule(atlas, "Git.Corp.Example.", "node:host")["servers"]
        ['10.8.0.53']
        >>> nrpt_rule(atlas, "corp.example", "node:host") is None
        True
    """
    rules = atlas.settings.get("nrpt_rules")
    if not isinstance(rules, list):
        return None
    node = _node_of(atlas, vantage) or vantage
    key = normalize(name)
    found = [
        r for r in rules if isinstance(r, dict) and r.get("node") == node and _covers(str(r.get("namespace", "")), key)
    ]
    return max(found, key=lambda r: len(str(r.get("namespace", ""))), default=None)


def _split_dns(atlas: Atlas, name: str, vantage: str, server: IPAddress | None) -> str:
    """What the vantage's NRPT rule means for a DNS answer to ``name``, as a clause ('' when none)."""
    rule = nrpt_rule(atlas, name, vantage)
    if rule is None:
        return ""
    ns = rule.get("namespace")
    listed = rule.get("servers")
    servers = [str(s) for s in listed if isinstance(s, str)] if isinstance(listed, list) else []
    if not servers:
        return f"; NRPT rule {ns} exempts it, so the adapters' own DNS servers answer it here"
    if server is not None and str(server) in servers:
        return f", one of the servers NRPT rule {ns} sends it to"
    return (
        f"; but here the Windows DNS client sends {name} to {', '.join(servers)} (NRPT rule {ns}, "
        "split DNS), so an application gets their answer"
    )


def _vantage_ids(atlas: Atlas, vantage: str) -> set[str]:
    """A vantage given by id, by name, or by the id or name of its node."""
    ids = {v.id for v in atlas.vantages if vantage in (v.id, v.name)}
    for n in atlas.nodes:
        if vantage in (n.id, n.name):
            ids.update(n.vantages)
    return ids or {vantage}


def _origin(record: NameRecord, everything: Iterable[NameRecord]) -> str | None:
    """For a copied hosts entry, the line it was copied from, if the atlas has it."""
    if record.source != "hosts" or not (record.marker or "").startswith("copied by"):
        return None
    for other in everything:
        if (
            other is not record
            and other.source == "hosts"
            and other.vantage != record.vantage
            and normalize(other.name) == normalize(record.name)
            and other.addresses == record.addresses
            and not (other.marker or "").startswith("copied by")
        ):
            who = writer_name(other.writer)
            text = f"{provenance(_plain(other))} on {other.vantage}"
            return f"{text}, where {who} wrote it" if who else text
    return None


def _plain(record: NameRecord) -> NameRecord:
    """The record without its writer, so provenance names only file and line."""
    from dataclasses import replace

    return replace(record, writer=None)


def _nss_provenance(atlas: Atlas, record: NameRecord, records: Iterable[NameRecord]) -> str:
    """Where the system resolver's answer came from: the hosts file, or which DNS.

    ``getent`` does not say; but when the vantage's hosts file has no line for the name,
    the answer came from the resolver's nameservers, and ``127.0.0.11`` is Docker's.
    """
    line = next(
        (o for o in records if o.vantage == record.vantage and o.source == "hosts" and o.addresses == record.addresses),
        None,
    )
    if line is not None:
        return f"{provenance(line)} (as getent returned it)"
    servers = next((n.dns.servers for n in atlas.nodes if record.vantage in n.vantages), ())
    if any(str(s) == "127.0.0.11" for s in servers):
        return "Docker's embedded DNS (127.0.0.11), as getent returned it"
    if servers:
        return f"DNS server {', '.join(map(str, servers))}, as getent returned it"
    return provenance(record)


def lookup_order(atlas: Atlas, vantage: str) -> dict[str, int]:
    """Rank (0 first) of each answer source on ``vantage``, from its ``nsswitch.conf``.

    Example:
        >>> from netatlas.model.atlas import Atlas
        >>> atlas = Atlas("netatlas-atlas/1", (), (), (), settings={"nss_hosts": {"h": ["dns", "files"]}})
        >>> lookup_order(atlas, "h")["hosts"], lookup_order(atlas, "h")["dns"]
        (1, 0)
        >>> lookup_order(atlas, "elsewhere") == _SOURCE_ORDER
        True
    """
    sources = _nss_hosts(atlas, vantage)
    if sources is None:
        return dict(_SOURCE_ORDER)
    words = [s for s in sources if not s.startswith("[")]
    last = len(words)
    files = words.index("files") if "files" in words else last
    dns = words.index("dns") if "dns" in words else last
    if dns < files:
        return {"dns": 0, "docker-dns": 0, "hosts": 1, "nss": 2}
    return dict(_SOURCE_ORDER)


def _nss_hosts(atlas: Atlas, vantage: str) -> list[str] | None:
    """The ``hosts:`` sources of ``vantage``, or of the host a named namespace lives on."""
    table = atlas.settings.get("nss_hosts")
    if not isinstance(table, dict):
        return None
    kinds = {v.id: v for v in atlas.vantages}
    seen: set[str] = set()
    current: str | None = vantage
    while current is not None and current not in seen:
        seen.add(current)
        got = table.get(current)
        if isinstance(got, list):
            return [str(s) for s in got]
        v = kinds.get(current)
        # ip netns exec bind-mounts /etc/netns/NAME files over /etc: without its own file
        # a named namespace resolves with its host's nsswitch.conf
        current = v.parent if v is not None and v.kind is VantageKind.NETNS else None
    return None


def resolve(atlas: Atlas, name: str, vantage: str | None = None) -> list[Resolution]:
    """Every answer for ``name``, per vantage, in the order a resolver tries them.

    Args:
        atlas: the map.
        name: the name to look up (case and a trailing dot do not matter).
        vantage: one vantage (id, name, or its node's id or name); ``None`` for all.

    Returns:
        One :class:`Resolution` per answer, grouped by vantage (in the atlas' vantage
        order), each group in lookup order; ``first`` marks what an application gets.
    """
    records = everywhere = records_for(atlas, name)
    if vantage is not None:
        wanted = _vantage_ids(atlas, vantage)
        records = [r for r in records if r.vantage in wanted]
        if not records:
            return _docker_dns(atlas, name, vantage) or _dns_elsewhere(atlas, everywhere, vantage)
    rank = {v.id: i for i, v in enumerate(atlas.vantages)}
    orders = {vid: lookup_order(atlas, vid) for vid in {r.vantage for r in records}}
    records.sort(
        key=lambda r: (
            rank.get(r.vantage, len(rank)),
            r.vantage,
            orders[r.vantage].get(r.source, 3),
            r.line if r.line is not None else 0,
        )
    )
    out: list[Resolution] = []
    order = 0
    current: str | None = None
    for r in records:
        if r.vantage != current:
            current, order = r.vantage, 0
        out.append(
            Resolution(
                vantage=r.vantage,
                name=r.name,
                addresses=r.addresses,
                source=r.source,
                provenance=_nss_provenance(atlas, r, records)
                if r.source == "nss"
                else provenance(r) + (_split_dns(atlas, r.name, r.vantage, r.server) if r.source == "dns" else ""),
                file=r.file,
                line=r.line,
                marker=r.marker,
                writer=r.writer,
                server=r.server,
                evidence=r.evidence,
                origin=_origin(r, everywhere),
                order=order,
                first=order == 0,
            )
        )
        order += 1
    return out


def _default_bridge(label: str) -> bool:
    """Docker's default ``bridge`` network, where the embedded DNS does not serve names."""
    return label.rsplit(" ", 1)[-1] == "bridge"


def _docker_dns(atlas: Atlas, name: str, vantage: str) -> list[Resolution]:
    """What Docker's embedded DNS answers a container for ``name``, from the engine's networks.

    Nobody asked it during the scan (a container is asked only about its own and the
    special names), but the answer follows from the map: on a user-defined network,
    127.0.0.11 answers the name of every container on it and each compose service
    name (a network alias compose sets) with that container's address there (Docker
    docs, "Networking overview": "Containers on the default bridge network can only
    access each other by IP addresses … user-defined networks … by name or alias").
    :func:`netatlas.reach.why` reaches such a container by its name, so ``resolve``
    must say the same.
    """
    key = normalize(name)
    wanted = _vantage_ids(atlas, vantage)
    src = next(
        (n for n in atlas.nodes if n.kind == "container" and (wanted & set(n.vantages) or vantage in (n.id, n.name))),
        None,
    )
    if src is None:
        return []
    nodes = {n.id: n for n in atlas.nodes}
    out: list[Resolution] = []
    for net in atlas.networks:
        if net.kind != "docker-bridge" or _default_bridge(net.label):
            continue
        if not any(a.node == src.id for a in net.attachments):
            continue
        for a in net.attachments:
            other = nodes.get(a.node)
            if other is None or other.kind != "container" or a.address is None:
                continue
            service = other.service.rsplit("/", 1)[-1] if other.service else None
            if key not in (normalize(other.name), normalize(service or "")):
                continue
            how = "its container name" if key == normalize(other.name) else f"compose service {other.service}"
            out.append(
                Resolution(
                    vantage=src.vantages[0] if src.vantages else src.id,
                    name=name,
                    addresses=(a.address,),
                    source="docker-dns",
                    provenance=(
                        f"Docker's embedded DNS (127.0.0.11): {other.name} is on {net.label} with "
                        f"{src.name}, by {how} (follows from the engine's networks; not asked)"
                    ),
                    server=None,
                )
            )
    return [replace_first(r, i) for i, r in enumerate(out)]


def replace_first(r: Resolution, order: int) -> Resolution:
    """``r`` at position ``order`` of its vantage's lookup (0 is what an application gets)."""
    from dataclasses import replace

    return replace(r, order=order, first=order == 0)


def resolver_servers(atlas: Atlas, vantages: set[str]) -> set[IPAddress]:
    """The DNS servers the resolver of these vantages' node asks (its own and the ones they forward to)."""
    out: set[IPAddress] = set()
    for n in atlas.nodes:
        if vantages & set(n.vantages) or n.id in vantages:
            out.update(n.dns.servers)
            out.update(n.dns.upstream)
    return out


def _dns_elsewhere(atlas: Atlas, records: list[NameRecord], vantage: str) -> list[Resolution]:
    """A DNS server's answer another vantage got: anyone asking that server gets it.

    The rule :func:`netatlas.reach.why` resolves a destination name by when the source
    has no answer of its own, so ``resolve NAME --from SRC`` finds what ``why SRC NAME``
    resolves. Another vantage's hosts file is its own business and is not used.
    """
    ids = _vantage_ids(atlas, vantage)
    mine = next(iter(sorted(ids)), vantage)
    asks = resolver_servers(atlas, ids)
    out: list[Resolution] = []
    for r in records:
        # only a server this vantage's own resolver asks: a pod asks the cluster's DNS, not the LAN router
        if r.source != "dns" or not r.addresses or r.server is None or r.server not in asks:
            continue
        out.append(
            Resolution(
                vantage=mine,
                name=r.name,
                addresses=r.addresses,
                source=r.source,
                provenance=f"{provenance(r)}, as {r.vantage} asked it (not asked from here)"
                + _split_dns(atlas, r.name, mine, r.server),
                server=r.server,
                evidence=r.evidence,
            )
        )
    return [replace_first(r, i) for i, r in enumerate(out)]


def unanswered(atlas: Atlas, name: str, vantage: str | None = None) -> list[Resolution]:
    """The queries for ``name`` that got no address (``NXDOMAIN``, ``SERVFAIL``, a timeout).

    Example:
        >>> from netatlas.model.atlas import Atlas, NameRecord
        >>> from ipaddress import ip_address
        >>> atlas = Atlas("netatlas-atlas/1", (), (), (), names=(
        ...     NameRecord("container:web", "host.docker.internal", (), "docker-dns",
        ...                server=ip_address("127.0.0.11"), status="NXDOMAIN"),))
        >>> [(r.vantage, r.status) for r in unanswered(atlas, "host.docker.internal")]
        [('container:web', 'NXDOMAIN')]
    """
    key = normalize(name)
    wanted = _vantage_ids(atlas, vantage) if vantage is not None else None
    out: list[Resolution] = []
    for r in atlas.names:
        if r.addresses or normalize(r.name) != key or (wanted is not None and r.vantage not in wanted):
            continue
        out.append(
            Resolution(
                vantage=r.vantage,
                name=r.name,
                addresses=(),
                source=r.source,
                provenance=provenance(r),
                server=r.server,
                evidence=r.evidence,
                status=r.status or "no answer",
            )
        )
    return out
