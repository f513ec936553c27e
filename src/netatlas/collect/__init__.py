"""Collectors: gather evidence from every vantage they can reach.

Collectors never call :mod:`subprocess` or open files directly: everything goes
through one injected :class:`~netatlas.collect.runner.Runner`, so every collector is
tested by replaying recorded outputs (:class:`~netatlas.collect.runner.ReplayRunner`),
including the Windows and macOS ones that cannot run here. A source that fails
(missing binary, timeout, permission denied, daemon down) becomes evidence with a
:class:`~netatlas.model.Failure`, and the scan goes on.
"""

from netatlas.collect.runner import ReplayRunner, Result, Runner, SubprocessRunner

__all__ = ["ReplayRunner", "Result", "Runner", "SubprocessRunner"]
