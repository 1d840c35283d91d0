-- The media repository's records (Synapse's local_media_repository and local_media_repository_thumbnails);
-- the bytes are files under media_store_path. A row made by POST /_matrix/media/v1/create has no type or
-- length until its content is uploaded (media_length IS NULL: pending).
CREATE TABLE local_media_repository (
    media_id              TEXT    NOT NULL PRIMARY KEY,
    media_type            TEXT,
    media_length          BIGINT,
    created_ts            BIGINT  NOT NULL,
    upload_name           TEXT,
    user_id               TEXT    NOT NULL,
    quarantined_by        TEXT,
    last_access_ts        BIGINT,
    safe_from_quarantine  BOOLEAN NOT NULL DEFAULT FALSE,
    sha256                TEXT
);
-- a user's media (admin listing, pending-upload limit)
CREATE INDEX local_media_repository_user ON local_media_repository (user_id, created_ts);
-- delete by date and size
CREATE INDEX local_media_repository_access ON local_media_repository (last_access_ts);

CREATE TABLE local_media_repository_thumbnails (
    media_id          TEXT    NOT NULL,
    thumbnail_width   INTEGER NOT NULL,
    thumbnail_height  INTEGER NOT NULL,
    thumbnail_type    TEXT    NOT NULL,
    thumbnail_method  TEXT    NOT NULL,
    thumbnail_length  BIGINT  NOT NULL,
    PRIMARY KEY (media_id, thumbnail_width, thumbnail_height, thumbnail_type, thumbnail_method)
);
