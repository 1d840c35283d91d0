-- Read receipts (receipts stream): the latest receipt of each type per user, room and thread.
-- Written in position order with IStreamIdGenerator.WriteAtNextAsync("receipts", ...).
CREATE TABLE receipts (
    room_id TEXT NOT NULL,
    receipt_type TEXT NOT NULL,             -- m.read or m.read.private
    user_id TEXT NOT NULL,
    thread_id TEXT NOT NULL DEFAULT '',     -- '' for an unthreaded receipt, else 'main' or a thread root event ID
    event_id TEXT NOT NULL,
    event_stream_ordering BIGINT NOT NULL,  -- stream_ordering of event_id: notification counts start after it
    data TEXT NOT NULL,                     -- the receipt's JSON data, e.g. {"ts":1700000000000}
    stream_id BIGINT NOT NULL,              -- position on the receipts stream
    PRIMARY KEY (room_id, receipt_type, user_id, thread_id)
);
CREATE INDEX receipts_stream_id ON receipts (stream_id);
CREATE INDEX receipts_room_stream_id ON receipts (room_id, stream_id);
CREATE INDEX receipts_user_room ON receipts (user_id, room_id);
