-- What a user's push rules said about an event (Synapse's event_push_actions): one row per event and local
-- member whose rules notify, written in the event's own transaction. Unread notification counts are the
-- rows after the user's read receipt in the room (0009_receipts.sql, event_stream_ordering).
CREATE TABLE event_push_actions (
    user_id          TEXT     NOT NULL,
    room_id          TEXT     NOT NULL,
    stream_ordering  BIGINT   NOT NULL,  -- the event's position on the events stream
    event_id         TEXT     NOT NULL,
    actions          TEXT     NOT NULL,  -- the matching rule's actions, as JSON
    notif            SMALLINT NOT NULL,  -- 1: counts as a notification
    highlight        SMALLINT NOT NULL,  -- 1: the actions set the highlight tweak
    PRIMARY KEY (user_id, room_id, stream_ordering)
);
-- GET /notifications: a user's notifications, newest first
CREATE INDEX event_push_actions_user_stream ON event_push_actions (user_id, stream_ordering);
