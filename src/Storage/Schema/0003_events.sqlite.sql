-- Every event once: the PDU as JSON beside the columns queries filter and order on. stream_ordering
-- is the position on the events stream (given by the persister); (depth, stream_ordering) is the
-- topological order pagination tokens use.
CREATE TABLE events (
    stream_ordering   INTEGER NOT NULL PRIMARY KEY,  -- the rowid: events are clustered by stream position
    event_id          TEXT    NOT NULL UNIQUE,
    room_id           TEXT    NOT NULL,
    type              TEXT    NOT NULL,
    state_key         TEXT,
    sender            TEXT    NOT NULL,
    depth             BIGINT  NOT NULL,
    origin_server_ts  BIGINT  NOT NULL,
    membership        TEXT,
    json              TEXT    NOT NULL
);
-- sync: a room's events in a stream range
CREATE INDEX events_room_stream ON events (room_id, stream_ordering);
-- /messages: a room's events in topological order
CREATE INDEX events_room_topo ON events (room_id, depth, stream_ordering);
-- state at a position: a room's state events by (type, state_key)
CREATE INDEX events_room_state ON events (room_id, type, state_key, stream_ordering) WHERE state_key IS NOT NULL;
