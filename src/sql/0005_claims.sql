-- 0005: cheaper claim helpers.  The worker now also sets the claims that
-- policies read most (sub, role, email) as separate settings in the
-- statement that opens each request, so auth.uid() is a settings lookup
-- instead of a JSON parse and a pattern match per row.  The worker checks
-- that sub is a UUID before it gets here.

CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid
  LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;

CREATE OR REPLACE FUNCTION auth.role() RETURNS text
  LANGUAGE sql STABLE
  AS $$ SELECT coalesce(nullif(current_setting('request.jwt.claim.role', true), ''), 'anon') $$;

CREATE OR REPLACE FUNCTION auth.email() RETURNS text
  LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('request.jwt.claim.email', true), '') $$;

-- The default storage policies, written so auth.uid() is computed once per
-- statement (an InitPlan) rather than once per row.
DROP POLICY objects_owner_read ON storage.objects;
DROP POLICY objects_owner_insert ON storage.objects;
DROP POLICY objects_owner_update ON storage.objects;
DROP POLICY objects_owner_delete ON storage.objects;
CREATE POLICY objects_owner_read ON storage.objects FOR SELECT
  USING (owner = (SELECT auth.uid()));
CREATE POLICY objects_owner_insert ON storage.objects FOR INSERT
  WITH CHECK (owner = (SELECT auth.uid()));
CREATE POLICY objects_owner_update ON storage.objects FOR UPDATE
  USING (owner = (SELECT auth.uid())) WITH CHECK (owner = (SELECT auth.uid()));
CREATE POLICY objects_owner_delete ON storage.objects FOR DELETE
  USING (owner = (SELECT auth.uid()));
