-- 0007: a notice to the workers whenever storage.objects or storage.buckets
-- change, so that a worker's cache of public objects' metadata ([storage]
-- public_cache_ttl) is dropped at once.  Once per statement, whatever it
-- touched: changes are rare next to downloads.
CREATE OR REPLACE FUNCTION storage.notify_change() RETURNS trigger
  LANGUAGE plpgsql
  AS $$ BEGIN PERFORM pg_notify('fluxbase', 'storage changed'); RETURN NULL; END $$;

DROP TRIGGER IF EXISTS objects_notify ON storage.objects;
CREATE TRIGGER objects_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON storage.objects
  FOR EACH STATEMENT EXECUTE FUNCTION storage.notify_change();
DROP TRIGGER IF EXISTS buckets_notify ON storage.buckets;
CREATE TRIGGER buckets_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON storage.buckets
  FOR EACH STATEMENT EXECUTE FUNCTION storage.notify_change();
