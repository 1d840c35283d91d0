-- The push_rules stream (Synapse's push_rules_stream): the position of each user's latest push rule
-- change. The rules themselves are the user's m.push_rules account data; this gives the stream its own
-- positions for replication and the sync token. Written with WriteAtNextAsync("push_rules", ...).
CREATE TABLE push_rules_stream (
    user_id   TEXT   NOT NULL PRIMARY KEY,
    stream_id BIGINT NOT NULL
);
