-- 0024: an object's active_ok is decided under a lock on its bucket's row
-- whenever the object comes into that bucket.
--
-- 0018 sets active_ok from the bucket when an object row is written, and
-- again for every object of a bucket whose allow_active_content changes.
-- Read without a lock, the two could cross: an upload that read "allowed"
-- just before an operator turned it off, and committed just after, kept
-- active_ok = true (the bucket's update could not see the row not yet
-- committed), so a browser would have been handed active content the
-- bucket no longer allows; an object moved into the bucket likewise.  The
-- trigger now reads the bucket FOR SHARE when a row is inserted or
-- changes buckets: the write and a change of the bucket's row wait for
-- each other, and whichever comes second sees what the first committed.
-- (The foreign key already locks the bucket's row for them, a lock too
-- weak to keep its other columns from changing.)  An update within the
-- bucket needs no lock: the bucket's change waits for that row and sets
-- it again after; taking one there could deadlock with that change,
-- which holds the bucket while it waits for the row.
CREATE OR REPLACE FUNCTION storage.objects_active_ok() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
  AS $$
  BEGIN
    -- The lock waits for a change in flight; the read after it, a
    -- statement of its own, sees what that change committed.
    IF TG_OP = 'INSERT' OR NEW.bucket_id IS DISTINCT FROM OLD.bucket_id THEN
      PERFORM FROM storage.buckets b WHERE b.id = NEW.bucket_id FOR SHARE;
    END IF;
    NEW.active_ok := coalesce((SELECT b.allow_active_content FROM storage.buckets b
      WHERE b.id = NEW.bucket_id), false);
    RETURN NEW;
  END
  $$;
