-- The user directory (Synapse's user_directory, users_in_public_rooms, users_who_share_private_rooms):
-- who a local user may find by POST /user_directory/search. Local users' entries follow their global
-- profile (written with it, see AccountStore); the two visibility tables are kept current from the
-- events stream by the user directory updater (a worker app, position in worker_app_positions).

-- One entry per user: the display name and avatar a search returns, beside the words it matches on
-- (lowercased, NFKC-normalised, one space before and after each word, so that a prefix of a word is
-- LIKE '% term%' and a whole word LIKE '% term %' on either engine).
CREATE TABLE user_directory (
    user_id          TEXT NOT NULL PRIMARY KEY,
    display_name     TEXT,
    avatar_url       TEXT,
    search_localpart TEXT NOT NULL,
    search_domain    TEXT NOT NULL,
    search_display   TEXT NOT NULL
);

-- Users joined to a room that is publicly joinable or world-readable: anyone may find them.
CREATE TABLE users_in_public_rooms (
    user_id  TEXT NOT NULL,
    room_id  TEXT NOT NULL,
    PRIMARY KEY (user_id, room_id)
);
CREATE INDEX users_in_public_rooms_room ON users_in_public_rooms (room_id);

-- (user, other user, room): both joined to the private room; user_id may find other_user_id.
CREATE TABLE users_who_share_private_rooms (
    user_id        TEXT NOT NULL,
    other_user_id  TEXT NOT NULL,
    room_id        TEXT NOT NULL,
    PRIMARY KEY (user_id, other_user_id, room_id)
);
CREATE INDEX users_who_share_private_rooms_room ON users_who_share_private_rooms (room_id);
CREATE INDEX users_who_share_private_rooms_other ON users_who_share_private_rooms (other_user_id);

-- Background tasks: expired to-device transaction IDs are found by age.
CREATE INDEX device_inbox_txn_ts ON device_inbox_txn (inserted_ts);
