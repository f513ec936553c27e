"""``netatlas verify`` on the live machine: every prediction about its own namespaces checked by a real probe.

The scan's atlas predicts, for each of the machine's own network namespaces (the host,
each running container, each named namespace), what a TCP connect to every listener and
published port will see, what its own resolver answers, and which route the kernel takes.
:func:`verify_machine` enters each namespace (``setns`` on its path, from one thread of
its own; nothing needs to exist inside), probes, and compares:

* :mod:`~netatlas.verify.places`: where to probe from, and how to get in;
* :mod:`~netatlas.verify.plan`: what to probe;
* :mod:`~netatlas.verify.fence`: where a probe may go (the machine's own addresses and
  loopback, nothing else), checked by :mod:`~netatlas.verify.door`, the one code that sends;
* :mod:`~netatlas.verify.kernel`: the kernel's own route answer (RTM_GETROUTE);
* :mod:`~netatlas.verify.judge`: predictions against observations;
* :mod:`~netatlas.verify.report`: the result, as text and JSON.
"""

from __future__ import annotations

from netatlas.verify.judge import Check
from netatlas.verify.plan import MAX_PROBES
from netatlas.verify.report import ATTACH, LiveReport, table
from netatlas.verify.run import TIMEOUT, verify_machine

__all__ = ["ATTACH", "MAX_PROBES", "TIMEOUT", "Check", "LiveReport", "table", "verify_machine"]
