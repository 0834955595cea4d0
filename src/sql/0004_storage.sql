-- 0004: buckets and objects.  Object rows point at blobs the server keeps
-- under [storage] root by server-chosen names; who may read, write or
-- delete an object is decided by the row-level security policies below,
-- which operators may replace with their own.

CREATE TABLE storage.buckets (
  id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9._-]{1,62}$'),
  public boolean NOT NULL DEFAULT false,
  file_size_limit bigint CHECK (file_size_limit IS NULL OR file_size_limit >= 0),
  allowed_mime_types text[],
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE storage.objects (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  bucket_id text NOT NULL REFERENCES storage.buckets (id),
  key text NOT NULL,
  size bigint NOT NULL,
  content_type text NOT NULL DEFAULT 'application/octet-stream',
  etag text NOT NULL,
  cache_control text,
  owner uuid DEFAULT auth.uid(),
  metadata jsonb NOT NULL DEFAULT '{}',
  blob_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (bucket_id, key)
);
CREATE INDEX objects_owner_idx ON storage.objects (owner);

ALTER TABLE storage.buckets ENABLE ROW LEVEL SECURITY;
CREATE POLICY buckets_public_read ON storage.buckets FOR SELECT USING (public);

ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
CREATE POLICY objects_owner_read ON storage.objects FOR SELECT
  USING (owner = auth.uid());
CREATE POLICY objects_public_read ON storage.objects FOR SELECT
  USING (EXISTS (SELECT 1 FROM storage.buckets b WHERE b.id = bucket_id AND b.public));
CREATE POLICY objects_owner_insert ON storage.objects FOR INSERT
  WITH CHECK (owner = auth.uid());
CREATE POLICY objects_owner_update ON storage.objects FOR UPDATE
  USING (owner = auth.uid()) WITH CHECK (owner = auth.uid());
CREATE POLICY objects_owner_delete ON storage.objects FOR DELETE
  USING (owner = auth.uid());

GRANT SELECT ON storage.buckets TO anon, authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON storage.buckets TO service_role;
GRANT SELECT ON storage.objects TO anon;
GRANT SELECT, INSERT, UPDATE, DELETE ON storage.objects TO authenticated, service_role;

-- What an upload or download needs to know of a bucket before it starts,
-- whoever asks (the object policies then decide on the object itself).
CREATE FUNCTION storage.bucket_info(p_bucket text)
    RETURNS TABLE (id text, public boolean, file_size_limit bigint, allowed_mime_types text[])
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog
  AS $$ SELECT b.id, b.public, b.file_size_limit, b.allowed_mime_types
        FROM storage.buckets b WHERE b.id = p_bucket $$;
REVOKE ALL ON FUNCTION storage.bucket_info(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION storage.bucket_info(text) TO anon, authenticated, service_role;

CREATE FUNCTION storage.bucket_json(b storage.buckets) RETURNS json
  LANGUAGE sql STABLE
  AS $$ SELECT json_build_object('id', b.id, 'name', b.id, 'public', b.public,
          'file_size_limit', b.file_size_limit, 'allowed_mime_types', b.allowed_mime_types,
          'created_at', b.created_at, 'updated_at', b.updated_at) $$;

CREATE FUNCTION storage.object_json(o storage.objects) RETURNS json
  LANGUAGE sql STABLE
  AS $$ SELECT json_build_object('bucket', o.bucket_id, 'key', o.key, 'size', o.size,
          'content_type', o.content_type, 'etag', '"' || o.etag || '"',
          'cache_control', o.cache_control, 'owner', o.owner, 'metadata', o.metadata,
          'created_at', o.created_at, 'updated_at', o.updated_at) $$;
GRANT EXECUTE ON FUNCTION storage.bucket_json(storage.buckets), storage.object_json(storage.objects)
  TO anon, authenticated, service_role;
