-- 0012_export_saved_searches.sql — a member's data export includes their
-- saved searches (0010 came after the export function of 0007).
--
-- The 0007 function stays as it is under a new name and the export adds one
-- key to its document, so the two cannot drift apart.  An erased account
-- exports nothing: the base gives NULL, and NULL || … stays NULL.

ALTER FUNCTION khnet_account_export(bigint) RENAME TO khnet_account_export_base;

CREATE FUNCTION khnet_account_export(p_account bigint) RETURNS jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT khnet_account_export_base(p_account) || jsonb_build_object(
        'saved_searches', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'id', s.id, 'name', s.name, 'query', s.query, 'sort', s.sort,
                'created_at', khnet_time_text(s.created_at),
                'last_seen_at', khnet_time_text(s.last_seen_at)) ORDER BY s.id), '[]')
              FROM khnet_saved_searches s WHERE s.owner_id = p_account))
$$;
