-- 0021: storage.put_object also returns the object's id, so an upload on
-- /storage/v1 answers Storage's {"Id", "Key"} from the statement that
-- wrote the row, without a second round trip to read the id back.  The
-- body is 0012's otherwise (a function's result type cannot be altered in
-- place).
DROP FUNCTION storage.put_object(text, text, bigint, text, text, text, jsonb, text, boolean);
CREATE FUNCTION storage.put_object(p_bucket text, p_key text, p_size bigint,
    p_content_type text, p_etag text, p_cache_control text, p_metadata jsonb, p_blob_id text,
    p_upsert boolean)
    RETURNS TABLE (object json, old_blob text, id uuid)
  LANGUAGE plpgsql VOLATILE SECURITY INVOKER
  AS $$
  BEGIN
    IF p_upsert THEN
      -- _old is read (and locked) while the insert builds its row, before
      -- the update: read after it, the row would be our own new one.
      RETURN QUERY
        WITH _old AS (SELECT o.blob_id FROM storage.objects o
            WHERE o.bucket_id = p_bucket AND o.key = p_key FOR UPDATE),
          _new AS (INSERT INTO storage.objects AS o (bucket_id, key, size, content_type, etag,
              cache_control, metadata, blob_id, owner)
            SELECT p_bucket, p_key, p_size, p_content_type, p_etag, p_cache_control,
              coalesce(p_metadata, '{}'), p_blob_id, auth.uid()
            FROM (SELECT 1) one LEFT JOIN _old ON true
            ON CONFLICT (bucket_id, key) DO UPDATE SET size = EXCLUDED.size,
              content_type = EXCLUDED.content_type, etag = EXCLUDED.etag,
              cache_control = EXCLUDED.cache_control, metadata = EXCLUDED.metadata,
              blob_id = EXCLUDED.blob_id, updated_at = now()
            RETURNING o.*)
        SELECT storage.object_json(_new), (SELECT _old.blob_id FROM _old), _new.id FROM _new;
    ELSE
      RETURN QUERY
        WITH _new AS (INSERT INTO storage.objects AS o (bucket_id, key, size, content_type, etag,
              cache_control, metadata, blob_id, owner)
            VALUES (p_bucket, p_key, p_size, p_content_type, p_etag, p_cache_control,
              coalesce(p_metadata, '{}'), p_blob_id, auth.uid())
            RETURNING o.*)
        SELECT storage.object_json(_new), NULL::text, _new.id FROM _new;
    END IF;
  END
  $$;
REVOKE ALL ON FUNCTION storage.put_object(text, text, bigint, text, text, text, jsonb, text,
  boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION storage.put_object(text, text, bigint, text, text, text, jsonb, text,
  boolean) TO anon, authenticated, service_role;
