-- Board server schema (PostgreSQL). Timestamps are timestamptz.

CREATE TABLE users (
    id          text PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    is_admin    boolean NOT NULL DEFAULT false,
    token_hash  text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL
);

CREATE TABLE boards (
    id           text PRIMARY KEY,
    owner_id     text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         text NOT NULL,
    type         text NOT NULL CHECK (type IN ('dev', 'ops')),
    description  text,
    task_seq     bigint NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    UNIQUE (owner_id, name)
);

CREATE TABLE labels (
    board_id     text NOT NULL REFERENCES boards(id) ON DELETE CASCADE,
    name         text NOT NULL,
    color        text NOT NULL,
    description  text,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (board_id, name)
);

CREATE TABLE repositories (
    id          text PRIMARY KEY,
    owner_id    text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name        text NOT NULL,
    url         text NOT NULL,
    created_at  timestamptz NOT NULL,
    UNIQUE (owner_id, name)
);

CREATE TABLE agents (
    id               text PRIMARY KEY,
    owner_id         text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    username         text NOT NULL,
    name             text,
    kind             text NOT NULL CHECK (kind IN ('worker', 'leader')),
    runtime          text NOT NULL,
    model            text,
    role             text,
    instructions     text,
    permission_mode  text,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    UNIQUE (owner_id, username)
);

CREATE TABLE machines (
    id                 text PRIMARY KEY,
    owner_id           text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    device_id          text NOT NULL,
    name               text NOT NULL,
    os                 text,
    version            text,
    api_key_hash       text NOT NULL UNIQUE,
    runtimes           text NOT NULL DEFAULT '[]',
    usage              text NOT NULL DEFAULT '[]',
    last_heartbeat_at  timestamptz,
    created_at         timestamptz NOT NULL,
    UNIQUE (owner_id, device_id)
);

CREATE TABLE tasks (
    id                 text PRIMARY KEY,
    owner_id           text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    board_id           text NOT NULL REFERENCES boards(id) ON DELETE CASCADE,
    seq                bigint NOT NULL,
    status             text NOT NULL CHECK (status IN ('todo', 'in_progress', 'in_review', 'done', 'cancelled')),
    title              text NOT NULL,
    description        text,
    repository_id      text REFERENCES repositories(id) ON DELETE SET NULL,
    assigned_to        text REFERENCES agents(id) ON DELETE SET NULL,
    pr_url             text,
    scheduled_at       timestamptz,
    parent_id          text REFERENCES tasks(id) ON DELETE SET NULL,
    position           bigint NOT NULL,
    created_by         text,
    epoch              bigint NOT NULL DEFAULT 0,
    lease_machine_id   text,
    lease_expires_at   timestamptz,
    why                text,
    why_at             timestamptz,
    active_session_id  text,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
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
    task_id  text NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    name     text NOT NULL,
    PRIMARY KEY (task_id, name)
);
CREATE INDEX task_labels_name ON task_labels (name);

CREATE TABLE task_dependencies (
    task_id     text NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    depends_on  text NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    PRIMARY KEY (task_id, depends_on),
    CHECK (task_id <> depends_on)
);
CREATE INDEX task_dependencies_depends_on ON task_dependencies (depends_on);

-- Activity and messages are ordered by seq; id is the public handle.
CREATE TABLE activity (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          text NOT NULL,
    task_id     text NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    actor_type  text NOT NULL,
    actor_id    text NOT NULL,
    action      text NOT NULL,
    detail      text,
    session_id  text,
    created_at  timestamptz NOT NULL
);
CREATE INDEX activity_task ON activity (task_id, seq);

CREATE TABLE messages (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           text NOT NULL,
    task_id      text NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    sender_type  text NOT NULL,
    sender_id    text NOT NULL,
    content      text NOT NULL,
    created_at   timestamptz NOT NULL
);
CREATE INDEX messages_task ON messages (task_id, seq);

CREATE TABLE sessions (
    id                     text PRIMARY KEY,
    owner_id               text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    agent_id               text NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    machine_id             text NOT NULL REFERENCES machines(id) ON DELETE CASCADE,
    task_id                text REFERENCES tasks(id) ON DELETE SET NULL,
    status                 text NOT NULL CHECK (status IN ('active', 'closed')),
    epoch                  bigint NOT NULL DEFAULT 0,
    public_key             text NOT NULL,
    input_tokens           bigint NOT NULL DEFAULT 0,
    output_tokens          bigint NOT NULL DEFAULT 0,
    cache_read_tokens      bigint NOT NULL DEFAULT 0,
    cache_creation_tokens  bigint NOT NULL DEFAULT 0,
    cost_micro_usd         bigint NOT NULL DEFAULT 0,
    created_at             timestamptz NOT NULL,
    closed_at              timestamptz
);
CREATE INDEX sessions_task ON sessions (task_id);
CREATE INDEX sessions_agent ON sessions (agent_id);
CREATE INDEX sessions_machine ON sessions (machine_id);

-- Answers to mutating requests that carried an Idempotency-Key, replayed for repeats.
CREATE TABLE idempotency_keys (
    identity     text NOT NULL,
    key          text NOT NULL,
    status_code  bigint NOT NULL,
    body         text NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (identity, key)
);

-- The durable, monotonically numbered event log behind every live stream.
CREATE TABLE events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type        text NOT NULL,
    owner_id    text NOT NULL,
    board_id    text NULL,
    task_id     text NULL,
    machine_id  text NULL,
    agent_id    text NULL,
    payload     text NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX events_board ON events (board_id, id);
CREATE INDEX events_task ON events (task_id, id);
CREATE INDEX events_owner ON events (owner_id, id);
