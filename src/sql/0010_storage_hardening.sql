-- 0010: buckets say whether their objects may be active content.
--
-- Objects whose type a browser would run (HTML, SVG, XML, JavaScript, ...)
-- are served as attachments inside a sandbox unless their bucket allows
-- active content (for a bucket that hosts a site, say).  Off by default.
ALTER TABLE storage.buckets ADD COLUMN allow_active_content boolean NOT NULL DEFAULT false;

DROP FUNCTION storage.bucket_info(text);
CREATE FUNCTION storage.bucket_info(p_bucket text)
    RETURNS TABLE (id text, public boolean, file_size_limit bigint, allowed_mime_types text[],
      allow_active_content boolean)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog
  AS $$ SELECT b.id, b.public, b.file_size_limit, b.allowed_mime_types, b.allow_active_content
        FROM storage.buckets b WHERE b.id = p_bucket $$;
REVOKE ALL ON FUNCTION storage.bucket_info(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION storage.bucket_info(text) TO anon, authenticated, service_role;

CREATE OR REPLACE FUNCTION storage.bucket_json(b storage.buckets) RETURNS json
  LANGUAGE sql STABLE
  AS $$ SELECT json_build_object('id', b.id, 'name', b.id, 'public', b.public,
          'file_size_limit', b.file_size_limit, 'allowed_mime_types', b.allowed_mime_types,
          'allow_active_content', b.allow_active_content,
          'created_at', b.created_at, 'updated_at', b.updated_at) $$;
