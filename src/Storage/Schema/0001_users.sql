-- Accounts and the per-user tables of the client API. Types are the common subset of SQLite and
-- PostgreSQL (TEXT, BIGINT, BOOLEAN); timestamps are Unix milliseconds.

CREATE TABLE users (
    user_id        TEXT    NOT NULL PRIMARY KEY,
    password_hash  TEXT,
    creation_ts    BIGINT  NOT NULL,
    admin          BOOLEAN NOT NULL DEFAULT FALSE,
    is_guest       BOOLEAN NOT NULL DEFAULT FALSE,
    deactivated    BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE profiles (
    user_id      TEXT NOT NULL PRIMARY KEY,
    displayname  TEXT,
    avatar_url   TEXT
);

CREATE TABLE devices (
    user_id       TEXT   NOT NULL,
    device_id     TEXT   NOT NULL,
    display_name  TEXT,
    last_seen     BIGINT,
    ip            TEXT,
    PRIMARY KEY (user_id, device_id)
);

-- The result of a client request with a transaction ID (e.g. the event ID of a send), so that a
-- retry returns it again. scope says which endpoint: a txnId is unique per endpoint and device.
CREATE TABLE event_txn_id (
    user_id      TEXT   NOT NULL,
    device_id    TEXT   NOT NULL,
    scope        TEXT   NOT NULL,
    txn_id       TEXT   NOT NULL,
    result       TEXT   NOT NULL,
    inserted_ts  BIGINT NOT NULL
);
CREATE UNIQUE INDEX event_txn_id_txn ON event_txn_id (user_id, device_id, scope, txn_id);
-- Old entries are expired by age (Synapse keeps them for a day).
CREATE INDEX event_txn_id_ts ON event_txn_id (inserted_ts);

-- filter_id counts per user from 0, as Synapse's does.
CREATE TABLE user_filters (
    user_id      TEXT   NOT NULL,
    filter_id    BIGINT NOT NULL,
    filter_json  TEXT   NOT NULL,
    PRIMARY KEY (user_id, filter_id)
);

CREATE TABLE room_aliases (
    room_alias  TEXT NOT NULL PRIMARY KEY,
    room_id     TEXT NOT NULL,
    creator     TEXT NOT NULL
);
CREATE INDEX room_aliases_room_id ON room_aliases (room_id);

CREATE TABLE rooms (
    room_id       TEXT    NOT NULL PRIMARY KEY,
    room_version  TEXT    NOT NULL,
    creator       TEXT    NOT NULL,
    is_public     BOOLEAN NOT NULL DEFAULT FALSE,
    created_ts    BIGINT  NOT NULL
);
CREATE INDEX rooms_public ON rooms (room_id) WHERE is_public;

-- Global and per-room account data in one table. room_id is '' for global data rather than NULL so
-- that the primary key covers global rows too (NULLs are distinct in a key). A put replaces the row
-- and gives it a new stream_id, so a user's changes since a position are one index range.
CREATE TABLE account_data (
    user_id            TEXT   NOT NULL,
    room_id            TEXT   NOT NULL DEFAULT '',
    account_data_type  TEXT   NOT NULL,
    stream_id          BIGINT NOT NULL,
    content            TEXT   NOT NULL,
    PRIMARY KEY (user_id, room_id, account_data_type)
);
CREATE INDEX account_data_user_stream ON account_data (user_id, stream_id);
CREATE INDEX account_data_stream ON account_data (stream_id);
