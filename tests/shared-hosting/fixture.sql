-- tests/shared-hosting/fixture.sql - the site's tables, created by the
-- site's own login (as a user would in the panel's SQL tool) and exposed
-- with auth.expose, the one way that works in both database modes.

-- notes: the deploy smoke suite's table; each user sees its own rows
-- (a policy of its own, created before expose, so expose adds no
-- "all rows" policy).
CREATE TABLE notes (
  id bigserial PRIMARY KEY,
  owner uuid NOT NULL DEFAULT auth.uid(),
  body text
);
CREATE POLICY notes_owner ON notes USING (owner = auth.uid()) WITH CHECK (owner = auth.uid());
SELECT auth.expose('public.notes', 'authenticated', 'select,insert,update,delete');

-- posts: anon may read every row; signed-in users may also write.
CREATE TABLE posts (id bigserial PRIMARY KEY, title text NOT NULL);
INSERT INTO posts (title) VALUES ('first post'), ('second post');
SELECT auth.expose('public.posts', 'anon', 'select');
SELECT auth.expose('public.posts', 'authenticated', 'select,insert');

-- drafts: exposed to signed-in users only, never to anon.
CREATE TABLE drafts (id bigserial PRIMARY KEY, title text NOT NULL);
INSERT INTO drafts (title) VALUES ('an unpublished draft');
SELECT auth.expose('public.drafts', 'authenticated', 'select');

-- loose: row-level security enabled but not forced (the owner's login
-- would skip its policies): the API must refuse it.
CREATE TABLE loose (id int PRIMARY KEY, s text);
INSERT INTO loose VALUES (1, 'must not be served');
ALTER TABLE loose ENABLE ROW LEVEL SECURITY;
CREATE POLICY loose_all ON loose USING (true);

-- loose_peek: a function that reads loose, which it would read whole as
-- the login: callable only by the roles it is exposed to (none yet).
CREATE FUNCTION loose_peek() RETURNS text LANGUAGE sql STABLE
  AS $$ SELECT string_agg(s, ',') FROM loose $$;
