-- POST /rooms/{roomId}/forget: a forgotten room no longer appears in the user's /sync. A new membership
-- event clears the flag.
ALTER TABLE local_current_membership ADD COLUMN forgotten INTEGER NOT NULL DEFAULT 0;
