"""Shared transcript handling: prompts, fences, encodings."""

from __future__ import annotations

from netatlas.parsers._base import Warnings, decode, prompt_command, segments


def test_fence_glued_to_output_keeps_the_output() -> None:
    w = Warnings()
    segs = segments("```Ethernet adapter vEthernet (DockerNAT):\n   IPv4 Address. . : 10.0.75.1\n```\n", warnings=w)
    texts = [ln.text for s in segs for ln in s.lines]
    assert texts[0] == "Ethernet adapter vEthernet (DockerNAT):"
    assert [x.message for x in w.items] == ["removed a code fence glued to the line", "skipped code-fence line"]


def test_fence_with_language_tag_is_dropped() -> None:
    w = Warnings()
    segs = segments("```powershell\nPS C:\\> ipconfig\nout\n```", warnings=w)
    assert [ln.text for s in segs for ln in s.lines] == ["out"]


def test_trailing_fence_is_removed() -> None:
    w = Warnings()
    segs = segments("Default Distribution: Ubuntu```\n", warnings=w)
    assert segs[0].lines[0].text == "Default Distribution: Ubuntu"


def test_prompts_and_comments() -> None:
    assert prompt_command("└─$ ip address") == "ip address"
    assert prompt_command("PS > wsl -l -v") == "wsl -l -v"
    assert prompt_command("[root@box ~]# ip a") == "ip a"
    assert prompt_command("[wsl2]   # comment") is None
    assert prompt_command("# Added by Docker Desktop") is None


def test_utf16_without_bom_and_crlf() -> None:
    assert decode("a\r\nb".encode("utf-16-le") * 3).startswith("a\r\nb")
