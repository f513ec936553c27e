-- netatlas fleet, schema version 1: machines, tokens, scans and what each scan uses.
-- Applied once, in one transaction, by `netatlas serve --migrate` (netatlas.fleet.db).

CREATE TABLE machines (
    id             bigserial PRIMARY KEY,
    -- the host name, or its sealed form (netatlas.fleet.keyed.seal) when pushed redacted
    name           text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 400),
    first_seen     timestamptz NOT NULL DEFAULT now(),
    last_seen      timestamptz NOT NULL DEFAULT now(),
    latest_scan_id bigint  -- "now" for this machine; set in the push's transaction
);

CREATE TABLE tokens (
    id         bigserial PRIMARY KEY,
    hash       bytea NOT NULL UNIQUE,          -- SHA-256 of the token; the token itself is never stored
    role       text NOT NULL CHECK (role IN ('agent', 'admin')),
    machine_id bigint REFERENCES machines (id) ON DELETE CASCADE,  -- agent tokens: bound on first push
    note       text NOT NULL DEFAULT '',
    created    timestamptz NOT NULL DEFAULT now(),
    CHECK (role = 'agent' OR machine_id IS NULL)
);
CREATE UNIQUE INDEX tokens_one_agent_per_machine ON tokens (machine_id) WHERE role = 'agent';

CREATE TABLE scans (
    id              bigserial PRIMARY KEY,
    machine_id      bigint NOT NULL REFERENCES machines (id) ON DELETE CASCADE,
    idempotency_key text NOT NULL,
    received        timestamptz NOT NULL DEFAULT now(),
    scanned         timestamptz,
    tool_version    text NOT NULL,
    atlas_schema    text NOT NULL,
    redacted        boolean NOT NULL,
    key_id          text,               -- the organisation key's public id when redacted
    atlas           jsonb NOT NULL,     -- the atlas as `netatlas map --json` prints it
    UNIQUE (machine_id, idempotency_key)
);
CREATE INDEX scans_machine ON scans (machine_id, id DESC);

ALTER TABLE machines ADD FOREIGN KEY (latest_scan_id) REFERENCES scans (id) DEFERRABLE INITIALLY DEFERRED;

-- Every range a scan uses or will use (netatlas.fleet.extract): networks, routes,
-- engine pools, Docker's next subnets. `current` marks the machine's latest scan.
CREATE TABLE scan_ranges (
    scan_id    bigint NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    machine_id bigint NOT NULL,
    source     text NOT NULL CHECK (source IN ('network', 'route', 'pool', 'docker-next')),
    cidr       cidr NOT NULL,
    kind       text NOT NULL,
    label      text NOT NULL,
    node       text,
    current    boolean NOT NULL DEFAULT true,
    -- whose address space: '' for plain scans, the key_id for scans redacted under that key.
    -- Kept here (not only on scans) so the planner starts from the GiST index.
    scope      text NOT NULL DEFAULT ''
);
CREATE INDEX scan_ranges_scan ON scan_ranges (scan_id);
CREATE INDEX scan_ranges_current_machine ON scan_ranges (machine_id) WHERE current;
-- the collision query: `cidr && $range` over current rows is an index scan
CREATE INDEX scan_ranges_current_cidr ON scan_ranges USING gist (cidr inet_ops) WHERE current;

CREATE TABLE findings (
    scan_id    bigint NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    machine_id bigint NOT NULL,
    code       text NOT NULL,
    severity   text NOT NULL,
    title      text NOT NULL
);
CREATE INDEX findings_scan ON findings (scan_id);
