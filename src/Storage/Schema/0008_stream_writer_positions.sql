-- Multi-writer streams (Synapse's stream_positions): each writer instance's persisted-up-to position,
-- a lower bound it refreshes now and then. A process that starts, or lost the replication bus, learns
-- from here which writers exist and where they were, before their live POSITION commands arrive.
-- (SQLite's single-writer counters already use the name stream_positions, see 0005.)
CREATE TABLE stream_writer_positions (
    stream_name    TEXT   NOT NULL,
    instance_name  TEXT   NOT NULL,
    stream_id      BIGINT NOT NULL,
    PRIMARY KEY (stream_name, instance_name)
);
