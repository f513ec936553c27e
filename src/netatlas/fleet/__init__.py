"""The fleet: agents push atlases to a server on PostgreSQL; admins ask which machines collide.

* server side (the ``server`` extra: FastAPI, uvicorn, psycopg 3, Jinja2):
  :mod:`~netatlas.fleet.server` (HTTP API and page), :mod:`~netatlas.fleet.db` (SQL,
  migrations in ``migrations/``), :mod:`~netatlas.fleet.extract` (what of an atlas is
  indexed), :mod:`~netatlas.fleet.plan` (free blocks across the fleet);
* agent and admin side (base dependencies only): :mod:`~netatlas.fleet.push`,
  :mod:`~netatlas.fleet.client`, :mod:`~netatlas.fleet.admin`,
  :mod:`~netatlas.fleet.keyed` (the organisation key), and the push document,
  :mod:`~netatlas.fleet.document`;
* :mod:`~netatlas.fleet.cli` adds ``serve``, ``push`` and ``fleet …`` to the CLI.

Walkthrough: ``docs/fleet.md``.
"""
