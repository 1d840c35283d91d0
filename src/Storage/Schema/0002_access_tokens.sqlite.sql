-- Only the SHA-256 of a token is stored (lowercase hex); a leaked database yields no usable token.
-- AUTOINCREMENT: a token ID is never reused, so a cached "all tokens but this one" stays right.
CREATE TABLE access_tokens (
    id          INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    token_hash  TEXT    NOT NULL UNIQUE,
    user_id     TEXT    NOT NULL,
    device_id   TEXT    NOT NULL,
    created_ts  BIGINT  NOT NULL
);
CREATE INDEX access_tokens_user_device ON access_tokens (user_id, device_id);
