-- 0015_forum_thread_delete.sql — a whole thread deleted by a moderator of
-- its category or by its author (PROTOCOL.md "DELETE /v1/forum/threads/{id}"):
-- its posts become tombstones as a deleted post does, and the thread keeps
-- its row, marked, for the moderators and the moderation log.  The function
-- is khnet_forum_thread_delete in repeatable/75_forum.sql.
ALTER TABLE khnet_forum_threads
    ADD COLUMN deleted_at timestamptz,                              -- NULL: not deleted
    ADD COLUMN deleted_by bigint REFERENCES khnet_accounts (id);   -- who deleted it
