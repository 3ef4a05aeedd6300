-- Board server schema (SQLite). Timestamps are INTEGER Unix milliseconds (UTC).

CREATE TABLE users (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    is_admin    INTEGER NOT NULL DEFAULT 0,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE boards (
    id           TEXT PRIMARY KEY,
    owner_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    type         TEXT NOT NULL CHECK (type IN ('dev', 'ops')),
    description  TEXT,
    task_seq     INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (owner_id, name)
);

CREATE TABLE labels (
    board_id     TEXT NOT NULL REFERENCES boards(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    color        TEXT NOT NULL,
    description  TEXT,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (board_id, name)
);

CREATE TABLE repositories (
    id          TEXT PRIMARY KEY,
    owner_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    url         TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (owner_id, name)
);

CREATE TABLE agents (
    id               TEXT PRIMARY KEY,
    owner_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    username         TEXT NOT NULL,
    name             TEXT,
    kind             TEXT NOT NULL CHECK (kind IN ('worker', 'leader')),
    runtime          TEXT NOT NULL,
    model            TEXT,
    role             TEXT,
    instructions     TEXT,
    permission_mode  TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (owner_id, username)
);

CREATE TABLE machines (
    id                 TEXT PRIMARY KEY,
    owner_id           TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    device_id          TEXT NOT NULL,
    name               TEXT NOT NULL,
    os                 TEXT,
    version            TEXT,
    api_key_hash       TEXT NOT NULL UNIQUE,
    runtimes           TEXT NOT NULL DEFAULT '[]',
    usage              TEXT NOT NULL DEFAULT '[]',
    last_heartbeat_at  INTEGER,
    created_at         INTEGER NOT NULL,
    UNIQUE (owner_id, device_id)
);

CREATE TABLE tasks (
    id                 TEXT PRIMARY KEY,
    owner_id           TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    board_id           TEXT NOT NULL REFERENCES boards(id) ON DELETE CASCADE,
    seq                INTEGER NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('todo', 'in_progress', 'in_review', 'done', 'cancelled')),
    title              TEXT NOT NULL,
    description        TEXT,
    repository_id      TEXT REFERENCES repositories(id) ON DELETE SET NULL,
    assigned_to        TEXT REFERENCES agents(id) ON DELETE SET NULL,
    pr_url             TEXT,
    scheduled_at       INTEGER,
    parent_id          TEXT REFERENCES tasks(id) ON DELETE SET NULL,
    position           INTEGER NOT NULL,
    created_by         TEXT,
    epoch              INTEGER NOT NULL DEFAULT 0,
    lease_machine_id   TEXT,
    lease_expires_at   INTEGER,
    why                TEXT,
    why_at             INTEGER,
    active_session_id  TEXT,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    UNIQUE (board_id, seq)
);
CREATE INDEX tasks_owner_status ON tasks (owner_id, status);
CREATE INDEX tasks_board_position ON tasks (board_id, position);
CREATE INDEX tasks_assigned_to ON tasks (assigned_to);
CREATE INDEX tasks_repository ON tasks (repository_id);
CREATE INDEX tasks_parent ON tasks (parent_id);
CREATE INDEX tasks_lease_machine ON tasks (lease_machine_id) WHERE lease_machine_id IS NOT NULL;
CREATE INDEX tasks_lease_expires ON tasks (lease_expires_at) WHERE lease_expires_at IS NOT NULL;

CREATE TABLE task_labels (
    task_id  TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    name     TEXT NOT NULL,
    PRIMARY KEY (task_id, name)
);
CREATE INDEX task_labels_name ON task_labels (name);

CREATE TABLE task_dependencies (
    task_id     TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    depends_on  TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    PRIMARY KEY (task_id, depends_on),
    CHECK (task_id <> depends_on)
);
CREATE INDEX task_dependencies_depends_on ON task_dependencies (depends_on);

-- Activity and messages are ordered by seq (the rowid: cheapest possible insert); id is the public handle.
CREATE TABLE activity (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL,
    task_id     TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    actor_type  TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    action      TEXT NOT NULL,
    detail      TEXT,
    session_id  TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX activity_task ON activity (task_id, seq);

CREATE TABLE messages (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL,
    task_id      TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    sender_type  TEXT NOT NULL,
    sender_id    TEXT NOT NULL,
    content      TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX messages_task ON messages (task_id, seq);

CREATE TABLE sessions (
    id                     TEXT PRIMARY KEY,
    owner_id               TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    agent_id               TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    machine_id             TEXT NOT NULL REFERENCES machines(id) ON DELETE CASCADE,
    task_id                TEXT REFERENCES tasks(id) ON DELETE SET NULL,
    status                 TEXT NOT NULL CHECK (status IN ('active', 'closed')),
    epoch                  INTEGER NOT NULL DEFAULT 0,
    public_key             TEXT NOT NULL,
    input_tokens           INTEGER NOT NULL DEFAULT 0,
    output_tokens          INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens      INTEGER NOT NULL DEFAULT 0,
    cache_creation_tokens  INTEGER NOT NULL DEFAULT 0,
    cost_micro_usd         INTEGER NOT NULL DEFAULT 0,
    created_at             INTEGER NOT NULL,
    closed_at              INTEGER
);
CREATE INDEX sessions_task ON sessions (task_id);
CREATE INDEX sessions_agent ON sessions (agent_id);
CREATE INDEX sessions_machine ON sessions (machine_id);

-- Answers to mutating requests that carried an Idempotency-Key, replayed for repeats.
CREATE TABLE idempotency_keys (
    identity     TEXT NOT NULL,
    key          TEXT NOT NULL,
    status_code  INTEGER NOT NULL,
    body         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (identity, key)
);

-- The durable, monotonically numbered event log behind every live stream.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    type        TEXT NOT NULL,
    owner_id    TEXT NOT NULL,
    board_id    TEXT NULL,
    task_id     TEXT NULL,
    machine_id  TEXT NULL,
    agent_id    TEXT NULL,
    payload     TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX events_board ON events (board_id, id);
CREATE INDEX events_task ON events (task_id, id);
CREATE INDEX events_owner ON events (owner_id, id);
