-- pgjournal schema, version 1. Migrate applies this file once, in a
-- transaction, and records it in autosync_migrations.

-- One row per journal key: one import of one school. The id is the second
-- int of the key's advisory lock, so it is an integer (int4).
CREATE TABLE autosync_keys (
    id     integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site   text NOT NULL, -- the Infiniti base URL, normalised (syncjob.KeyOf)
    tenant text NOT NULL, -- "" if the site has none
    import text NOT NULL, -- the import's name, such as user-groups
    UNIQUE (site, tenant, import)
);

-- The last accepted state of each key: which generation of chunks holds it.
CREATE TABLE autosync_state (
    key_id       integer PRIMARY KEY REFERENCES autosync_keys (id),
    generation   bigint NOT NULL,
    chunks       integer NOT NULL, -- rows of autosync_state_chunks in the generation
    bytes        bigint NOT NULL,  -- the state's length
    committed_at timestamptz NOT NULL DEFAULT now()
);

-- The state's bytes, as the job wrote them (a CSV), in chunks of at most
-- 256 KiB, seq from 0. A commit writes a new generation and deletes the old.
CREATE TABLE autosync_state_chunks (
    key_id     integer NOT NULL REFERENCES autosync_keys (id),
    generation bigint NOT NULL,
    seq        integer NOT NULL,
    data       bytea NOT NULL,
    PRIMARY KEY (key_id, generation, seq)
);

CREATE SEQUENCE autosync_state_generation;

-- The run log: one syncjob.Run per row, as JSON (bytea, since a record
-- may hold any text; read it with convert_from(record, 'UTF8')::json).
CREATE TABLE autosync_runs (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key_id  integer NOT NULL REFERENCES autosync_keys (id),
    outcome text NOT NULL, -- the record's outcome, for queries by hand
    record  bytea NOT NULL
);
CREATE INDEX autosync_runs_key ON autosync_runs (key_id, id);

-- Who holds a key's lock, for the message of a second run only: the lock
-- itself is the session advisory lock (LockClass, key id) of the backend.
CREATE TABLE autosync_lock_holders (
    key_id      integer PRIMARY KEY REFERENCES autosync_keys (id),
    backend_pid integer NOT NULL, -- pg_backend_pid() of the holding connection
    pid         integer NOT NULL, -- the process id of the run
    host        text NOT NULL,
    started     timestamptz NOT NULL
);
