"""A Docker engine of the tests' own: a real dockerd under a temporary folder, and a busybox image.

Why a real engine: the lab is built from netatlas's own understanding, so it cannot catch
what that understanding gets wrong. A real dockerd programs the real kernel's filter and
hands out real subnets; probes from inside its containers are the referee for ``why``.

No image can be pulled here, so the image is made with ``docker import`` from a tar of a
root holding the static busybox (``apt-get install busybox-static``) and links for the
applets the tests use (``sh``, ``nc``, ``httpd``, ``ip``, ``ping``, ``nslookup``, ``sleep``).

Run as a script by ``.ci/run``::

    python3 tests/engine/sandbox.py start DIR      # prints the DOCKER_HOST to use
    python3 tests/engine/sandbox.py stop DIR       # kills that dockerd by its pid, removes DIR

The daemon gets its own ``--data-root``, ``--exec-root``, pid file and socket inside DIR, so
it never touches a dockerd the machine already runs. Two daemons in one network namespace
would fight over iptables and ``docker0`` (``--bridge=none`` makes dockerd delete the
machine's ``docker0``), so :func:`start` refuses while another dockerd runs: point
``NETATLAS_TEST_DOCKER_HOST`` at it, or run the second daemon in a namespace of its own
(``tests/engine/test_allocator.py`` does).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

IMAGE = "netatlas-busybox:test"
APPLETS = ("sh", "nc", "httpd", "ip", "ping", "nslookup", "sleep", "cat", "echo", "ls", "wget", "true")
BUSYBOX_PATHS = ("/bin/busybox", "/usr/bin/busybox")


@dataclass(frozen=True)
class Engine:
    """A reachable Docker engine; ``pid`` and ``root`` are set only for one these tools started."""

    host: str
    pid: int | None = None
    root: Path | None = None


def static_busybox() -> Path | None:
    """The static busybox binary (busybox-static), or None: a dynamic one would not run in the image."""
    for p in BUSYBOX_PATHS:
        path = Path(p)
        if path.is_file() and not _has_interpreter(path.read_bytes()):
            return path
    return None


def _has_interpreter(elf: bytes) -> bool:
    """Whether a 64-bit little-endian ELF asks for a dynamic loader (a PT_INTERP program header)."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2:
        return True  # not what we can run in the image
    phoff = int.from_bytes(elf[0x20:0x28], "little")
    phentsize = int.from_bytes(elf[0x36:0x38], "little")
    phnum = int.from_bytes(elf[0x38:0x3A], "little")
    return any(
        int.from_bytes(elf[phoff + i * phentsize : phoff + i * phentsize + 4], "little") == 3 for i in range(phnum)
    )


def _alive(host: str) -> bool:
    import docker

    try:
        client = docker.DockerClient(base_url=host, timeout=5)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def running_dockerd() -> list[int]:
    """Pids of the dockerd processes running on this machine."""
    out = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                argv0 = (proc / "cmdline").read_bytes().split(b"\0", 1)[0]
            except OSError:
                continue
            if Path(argv0.decode(errors="replace")).name == "dockerd":
                out.append(int(proc.name))
    return out


def start(root: Path, *, extra_args: tuple[str, ...] = (), wait: float = 60.0) -> Engine:
    """Start dockerd with everything of its own under ``root``; raise RuntimeError when it does not come up.

    Refused while another dockerd runs, unless this one programs no packet filter
    (``--iptables=false``): a second daemon that does would rebuild the first one's
    chains and leave its networks unfiltered.
    """
    dockerd = shutil.which("dockerd")
    if dockerd is None:
        raise RuntimeError("no dockerd binary (apt-get install docker.io)")
    if os.geteuid() != 0:
        raise RuntimeError("dockerd needs root")
    others = running_dockerd()
    if others and "--iptables=false" not in extra_args:
        raise RuntimeError(
            f"another dockerd runs here (pid {others[0]}); a second one would fight it over iptables: "
            "set NETATLAS_TEST_DOCKER_HOST to the running engine's socket"
        )
    root.mkdir(parents=True, exist_ok=True)
    for sub in ("data", "exec", "run"):
        (root / sub).mkdir(exist_ok=True)
    sock = root / "run" / "docker.sock"
    host = f"unix://{sock}"
    log = (root / "dockerd.log").open("ab")
    argv = [
        dockerd,
        "--data-root",
        str(root / "data"),
        "--exec-root",
        str(root / "exec"),
        "--pidfile",
        str(root / "run" / "dockerd.pid"),
        "-H",
        host,
        *extra_args,
    ]
    proc = subprocess.Popen(argv, stdout=log, stderr=log, start_new_session=True)
    (root / "dockerd.pid").write_text(str(proc.pid))
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = (root / "dockerd.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"dockerd exited with {proc.returncode}:\n{tail}")
        if sock.exists() and _alive(host):
            return Engine(host=host, pid=proc.pid, root=root)
        time.sleep(0.2)
    stop(Engine(host=host, pid=proc.pid, root=root), remove=False)
    raise RuntimeError(f"dockerd did not answer on {host} within {wait:.0f} s")


def stop(engine: Engine, *, remove: bool = True) -> None:
    """Stop a dockerd these tools started (by its pid, never by name), then remove its folder."""
    if engine.pid is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(engine.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.kill(engine.pid, 0)
        except ProcessLookupError:
            break
        with contextlib.suppress(ChildProcessError):  # reap it when it is our child
            os.waitpid(engine.pid, os.WNOHANG)
        time.sleep(0.2)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(engine.pid, signal.SIGKILL)
    if remove and engine.root is not None:
        # the overlay mounts and netns files of a stopped daemon can linger: unmount what is below root
        for line in reversed(Path("/proc/self/mounts").read_text().splitlines()):
            parts = line.split()
            if len(parts) > 1 and parts[1].startswith(str(engine.root) + "/"):
                subprocess.run(["umount", "-l", parts[1]], capture_output=True, check=False)
        shutil.rmtree(engine.root, ignore_errors=True)


def image_tar(busybox: Path) -> bytes:
    """The image's root as a tar: /bin/busybox and a link per applet, /etc and /tmp."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for d in ("bin", "etc", "tmp", "www"):
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o1777 if d == "tmp" else 0o755
            tar.addfile(info)
        tar.add(str(busybox), arcname="bin/busybox")
        for applet in APPLETS:
            info = tarfile.TarInfo(f"bin/{applet}")
            info.type = tarfile.SYMTYPE
            info.linkname = "busybox"
            tar.addfile(info)
        page = b"netatlas\n"
        info = tarfile.TarInfo("www/index.html")
        info.size = len(page)
        tar.addfile(info, io.BytesIO(page))
    return buf.getvalue()


def ensure_image(host: str, name: str = IMAGE) -> str:
    """Import the busybox image into the engine at ``host`` unless it is there; return its name."""
    import docker

    client = docker.DockerClient(base_url=host, timeout=60)
    try:
        try:
            client.images.get(name)
            return name
        except docker.errors.ImageNotFound:
            pass
        busybox = static_busybox()
        if busybox is None:
            raise RuntimeError("no static busybox (apt-get install busybox-static)")
        repo, _, tag = name.partition(":")
        client.api.import_image_from_data(
            image_tar(busybox), repository=repo, tag=tag or "latest", changes=['CMD ["/bin/sh"]']
        )
        client.images.get(name)
        return name
    finally:
        client.close()


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print("usage: sandbox.py start|stop DIR", file=sys.stderr)
        return 2
    root = Path(argv[1]).resolve()
    if argv[0] == "start":
        engine = start(root)
        ensure_image(engine.host)
        print(engine.host)
        return 0
    pidfile = root / "dockerd.pid"
    pid = int(pidfile.read_text()) if pidfile.exists() else None
    stop(Engine(host="", pid=pid, root=root))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
