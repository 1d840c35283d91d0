-- A room's current state: one event per (type, state_key), replaced as state events are persisted.
CREATE TABLE current_state_events (
    room_id    TEXT NOT NULL,
    type       TEXT NOT NULL,
    state_key  TEXT NOT NULL,
    event_id   TEXT NOT NULL,
    PRIMARY KEY (room_id, type, state_key)
);

-- Current membership of every user with an m.room.member state event in the room.
CREATE TABLE local_current_membership (
    room_id          TEXT   NOT NULL,
    user_id          TEXT   NOT NULL,
    event_id         TEXT   NOT NULL,
    membership       TEXT   NOT NULL,
    stream_ordering  BIGINT NOT NULL,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX local_current_membership_user ON local_current_membership (user_id, room_id);

-- The events of a room that no other event references yet (prev_events of the next event).
CREATE TABLE event_forward_extremities (
    room_id   TEXT NOT NULL,
    event_id  TEXT NOT NULL,
    PRIMARY KEY (room_id, event_id)
);
