-- SQLite runs in one process, which counts stream positions in memory. Streams whose table gives
-- their highest position at start (events, account_data) need nothing here; any other stream's
-- highest allocated position is kept in this table.
CREATE TABLE stream_positions (
    stream_name  TEXT   NOT NULL PRIMARY KEY,
    position     BIGINT NOT NULL
);
