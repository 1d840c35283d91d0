-- The to_device stream (Synapse's device_inbox): messages waiting for one device of a local user, at
-- their position on the stream, until a /sync of that device acknowledges them by sending a token at
-- or past the position. The positions themselves are kept by the stream ID generator (the
-- to_device_stream_seq sequence on PostgreSQL, stream_positions on SQLite): delivered rows are
-- deleted, so the table cannot say how far the stream went.
CREATE TABLE device_inbox (
    user_id       TEXT   NOT NULL,
    device_id     TEXT   NOT NULL,
    stream_id     BIGINT NOT NULL,
    message_json  TEXT   NOT NULL,
    PRIMARY KEY (user_id, device_id, stream_id)
);

-- Which client transactions (spec: a txnId is scoped to the sending device and the request path, so
-- the event type is part of it) already put a message in a device's inbox, so that a retry delivers
-- nothing twice, even one that comes while the first attempt is still running or after it failed
-- half-way. Kept per recipient device so that each device's writer decides alone; old rows expire
-- after a day, as event_txn_id does.
CREATE TABLE device_inbox_txn (
    user_id           TEXT   NOT NULL,
    device_id         TEXT   NOT NULL,
    sender_user_id    TEXT   NOT NULL,
    sender_device_id  TEXT   NOT NULL,
    message_type      TEXT   NOT NULL,
    txn_id            TEXT   NOT NULL,
    inserted_ts       BIGINT NOT NULL,
    PRIMARY KEY (user_id, device_id, sender_user_id, sender_device_id, message_type, txn_id)
);
