"""Docker Desktop on Windows, replayed: probes go through the scan's own channels, or are skipped.

The host's own probes would be this test machine's sockets, so the socket maker here
refuses (they are reported as not run). Containers are probed with ``docker exec ID nc``
and WSL distros with ``wsl.exe -d NAME --exec nc -z``, through the replay runner: where
``nc`` is there its answer is the observation; where it is not (a distroless image:
runc's "executable file not found"; a distro without netcat: WSL's "execvpe(nc) failed")
the probe is skipped with what to install, never a failure to reach.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from typing import Any

from collect.test_exec_channels import EXEC, TINY, WEB, _api, _failed, _z820, as_system  # noqa: F401
from netatlas.atlas import build_atlas
from netatlas.collect.runner import Result
from netatlas.collect.scan import scan
from netatlas.verify import verify_machine
from netatlas.verify.places import Place, places

_WSL_NO_NC = b"<3>WSL (498) ERROR: CreateProcessCommon:500: execvpe(nc) failed: No such file or directory\n"


class NcReplay:
    """The replayed machine, with ``nc`` answered by rule: web has it, tiny and the distros do not."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.docker_api = inner.docker_api
        self.nc: list[tuple[str, ...]] = []

    def run(self, argv: Sequence[str], *, timeout: float = 10.0) -> Result:
        args = tuple(argv)
        if "nc" not in args:
            return self.inner.run(argv, timeout=timeout)  # type: ignore[no-any-return]
        self.nc.append(args)
        if args[:3] == ("docker", "exec", WEB):
            port = args[-1]
            if port == "80":
                return Result(args, b"", b"", 0)
            err = f"nc: can't connect to remote host ({args[-2]}): Connection refused\n".encode()
            return _failed(args, 1, err)
        if args[:3] == ("docker", "exec", TINY):
            no_nc = (EXEC / "oci-no-ip.err").read_bytes().replace(b'"ip"', b'"nc"')
            return _failed(args, 126, no_nc)
        return _failed(args, 1, _WSL_NO_NC)

    def read(self, path: str) -> Result:
        return self.inner.read(path)  # type: ignore[no-any-return]

    def query_dns(self, *a: Any) -> Any:
        return self.inner.query_dns(*a)


def _no_sockets(place: Place, kinds: Sequence[tuple[int, int]]) -> list[socket.socket]:
    raise OSError("the replay opens no sockets")


def test_probes_go_through_docker_exec_and_wsl_or_are_skipped(as_system: Any) -> None:  # noqa: F811
    as_system("Windows")
    rr = _z820(_api())
    bundle = scan(rr, system="Windows")
    atlas = build_atlas(bundle)
    chosen, _skipped = places(bundle, atlas, system="Windows")
    how = {p.vantage: p for p in chosen}
    assert how["host"].how == "self" and not how["host"].kernel
    assert how["container:app-web-1"].argv == ("docker", "exec", WEB)
    ubuntu = next(p for v, p in how.items() if v.startswith("wsl:"))
    assert ubuntu.argv[1:3] == ("-d", ubuntu.vantage[4:]) and ubuntu.argv[-1] == "--exec"
    nc = NcReplay(rr)
    report = verify_machine(bundle=bundle, atlas=atlas, runner=nc, system="Windows", maker=_no_sockets)
    web = [c for c in report.checks if c.place == "container:app-web-1"]
    assert web and {c.observed for c in web} <= {"open", "refused"}
    assert not [c for c in report.checks if c.place in ("container:app-tiny-1", ubuntu.vantage)]
    assert any("container:app-tiny-1" in s and "nc is not in it" in s for s in report.skipped)
    assert any(ubuntu.vantage in s and "nc is not in it" in s for s in report.skipped)
    # one failed try per place that lacks nc, then every other probe there is skipped unasked
    tiny_calls = [c for c in nc.nc if c[:3] == ("docker", "exec", TINY)]
    assert len(tiny_calls) == 1
    # argv lists only; busybox nc in containers, nc -z in WSL
    for call in nc.nc:
        assert not any(" " in a for a in call)
        assert call[call.index("nc") : call.index("nc") + 2] in (("nc", "-w"), ("nc", "-z"))
    # nothing went to an address the Windows host does not hold itself or share with its VMs
    assert "sent" in report.to_dict() and report.not_entered == ()
    for c in report.checks:
        assert not c.target.startswith("192.168.1.1:")  # the FIOS router
    # the stale portproxy rule 0.0.0.0:2222 -> 172.25.139.5:22 would make Windows connect to an
    # address nobody here holds: its listen side is never probed, from anywhere
    assert not [c for c in report.checks if c.target.endswith(":2222")]
    assert not [c for c in nc.nc if c[-1] == "2222"]
    assert any("leave the map: not probed" in s for s in report.skipped)
