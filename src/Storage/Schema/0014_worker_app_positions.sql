-- Where each worker app (pusher, appservice, user directory, ...) has got to in the streams it follows
-- (Synapse keeps these per app: pusher_throttle/federation_stream_position/appservice_stream_position).
-- A worker app stores its position after the work up to it is done, so a restart resumes from here:
-- at-least-once, never skipping. `app_name` names the app and its shard, e.g. "pusher" or "appservice:irc".
CREATE TABLE worker_app_positions (
    app_name       TEXT   NOT NULL,
    instance_name  TEXT   NOT NULL,
    stream_name    TEXT   NOT NULL,
    stream_id      BIGINT NOT NULL,
    PRIMARY KEY (app_name, instance_name, stream_name)
);
