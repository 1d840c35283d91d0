-- Each user's last presence (Synapse's presence_stream, one row per user): what a presence grain
-- resumes from when it activates again, and what a process that starts shows before anyone changes.
-- Not read by /sync, which serves presence from memory. stream_id is the writer's token of the row.
CREATE TABLE presence (
    user_id                    TEXT    NOT NULL PRIMARY KEY,
    state                      TEXT    NOT NULL,
    status_msg                 TEXT,
    last_active_ts             BIGINT  NOT NULL,
    last_federation_update_ts  BIGINT  NOT NULL,
    last_user_sync_ts          BIGINT  NOT NULL,
    currently_active           BOOLEAN NOT NULL,
    stream_id                  BIGINT  NOT NULL
);
-- A starting process loads the users who are not offline.
CREATE INDEX presence_not_offline ON presence (state) WHERE state <> 'offline';
