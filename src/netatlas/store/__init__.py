"""Where scans are kept: an embedded SQLite history on this machine."""
