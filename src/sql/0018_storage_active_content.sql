-- 0018: whether an object may be served as active content, on its row.
--
-- A download of a type a browser would run needs its bucket's
-- allow_active_content; asking the bucket on every download cost the
-- database a second statement.  The row now carries the answer, kept by
-- triggers: set from the bucket whenever a row is written, and set again
-- for every object of a bucket whose setting changes.  No caller can
-- write it: the trigger decides on every insert and update.
ALTER TABLE storage.objects ADD COLUMN active_ok boolean NOT NULL DEFAULT false;
UPDATE storage.objects o SET active_ok = true
  FROM storage.buckets b WHERE b.id = o.bucket_id AND b.allow_active_content;

CREATE FUNCTION storage.objects_active_ok() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
  AS $$
  BEGIN
    NEW.active_ok := coalesce((SELECT b.allow_active_content FROM storage.buckets b
      WHERE b.id = NEW.bucket_id), false);
    RETURN NEW;
  END
  $$;
REVOKE ALL ON FUNCTION storage.objects_active_ok() FROM PUBLIC;
CREATE TRIGGER objects_active_ok BEFORE INSERT OR UPDATE ON storage.objects
  FOR EACH ROW EXECUTE FUNCTION storage.objects_active_ok();

CREATE FUNCTION storage.buckets_active_ok() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
  AS $$
  BEGIN
    UPDATE storage.objects SET active_ok = NEW.allow_active_content WHERE bucket_id = NEW.id;
    RETURN NULL;
  END
  $$;
REVOKE ALL ON FUNCTION storage.buckets_active_ok() FROM PUBLIC;
CREATE TRIGGER buckets_active_ok AFTER UPDATE OF allow_active_content ON storage.buckets
  FOR EACH ROW WHEN (OLD.allow_active_content IS DISTINCT FROM NEW.allow_active_content)
  EXECUTE FUNCTION storage.buckets_active_ok();
