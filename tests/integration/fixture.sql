-- Fixture for the tables tests: loaded by run.sh into the test database
-- as the owner, after migrate (so default privileges apply).
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');

CREATE TABLE category (
  id integer PRIMARY KEY,
  title text UNIQUE NOT NULL
);

CREATE TABLE product (
  id serial PRIMARY KEY,
  name text NOT NULL,
  price numeric(10,2),
  stock integer NOT NULL DEFAULT 0,
  active boolean DEFAULT true,
  tags text[] DEFAULT '{}',
  meta jsonb,
  created_at timestamptz DEFAULT now(),
  ref uuid DEFAULT gen_random_uuid(),
  feeling mood,
  body text,
  search tsvector GENERATED ALWAYS AS (to_tsvector('english', coalesce(body, ''))) STORED,
  category_id integer REFERENCES category (id),
  CHECK (price IS NULL OR price >= 0)
);

CREATE TABLE person (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text);
CREATE TABLE event_log (at timestamptz DEFAULT now(), message text);
CREATE TABLE box (id integer PRIMARY KEY, label text);

CREATE VIEW product_stats AS SELECT count(*) AS n, avg(price) AS avg_price FROM product;

CREATE TABLE notes (
  id bigserial PRIMARY KEY,
  owner uuid NOT NULL DEFAULT auth.uid(),
  body text
);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
CREATE POLICY notes_owner ON notes USING (owner = auth.uid()) WITH CHECK (owner = auth.uid());

CREATE TABLE secrets (id integer PRIMARY KEY, s text);
REVOKE ALL ON secrets FROM authenticated;

GRANT SELECT ON product, category TO anon;

INSERT INTO category VALUES (1, 'fruit'), (2, 'veg');
INSERT INTO product (name, price, stock, active, tags, meta, feeling, body, category_id) VALUES
  ('apple', 1.50, 10, true, '{fruit,red}', '{"color": "red"}', 'happy', 'The quick brown fox jumps', 1),
  ('banana', 0.25, 0, false, '{fruit,yellow}', NULL, 'ok', 'Lazy dogs sleep all day', 1),
  ('carrot', 0.80, 5, NULL, '{veg}', '{"color": "orange"}', NULL, 'Foxes and dogs are friends', 2),
  ('dates, dried', NULL, 3, true, '{}', NULL, 'sad', NULL, NULL);
INSERT INTO secrets VALUES (1, 'hidden');
INSERT INTO box VALUES (1, 'small');

-- A second exposed schema: /tables/extra.things.
CREATE SCHEMA extra;
GRANT USAGE ON SCHEMA extra TO anon, authenticated, service_role;
CREATE TABLE extra.thing (id integer PRIMARY KEY, v text);
GRANT ALL ON extra.thing TO service_role;
INSERT INTO extra.thing VALUES (1, 'elsewhere');

-- A view whose read would write: reads run read-only, so it fails.
CREATE TABLE write_log (n integer);
CREATE FUNCTION sneaky() RETURNS integer LANGUAGE sql VOLATILE
  AS $$ INSERT INTO write_log VALUES (1) RETURNING 1 $$;
CREATE VIEW sneaky_view AS SELECT sneaky() AS x;

-- Every common column type, for the OpenAPI document.
CREATE TABLE all_types (
  id bigserial PRIMARY KEY,
  small smallint,
  whole integer NOT NULL,
  big bigint,
  exact numeric(12, 2),
  approx double precision,
  flag boolean DEFAULT false,
  label varchar(40),
  body text,
  ident uuid DEFAULT gen_random_uuid(),
  day date,
  at timestamptz DEFAULT now(),
  naive timestamp,
  doc jsonb,
  raw json,
  names text[],
  counts integer[],
  feeling mood,
  blob bytea,
  category_id integer REFERENCES category (id)
);
COMMENT ON TABLE all_types IS 'One column of each common type';
COMMENT ON COLUMN all_types.whole IS 'A required integer';
GRANT SELECT ON all_types TO anon;

-- Slow reads, for the slow-request log and request_timeout.
CREATE VIEW slow_one AS SELECT 1 AS n FROM pg_sleep(1.6);
CREATE VIEW slow_forever AS SELECT 1 AS n FROM pg_sleep(20);

-- Who a request runs as, seen from SQL: workers keep the identity on their
-- connection between requests, and it must never pass from one caller to
-- the next.
CREATE VIEW whoami AS SELECT current_user::text AS db_role,
  current_setting('request.jwt.claim.sub', true) AS sub,
  current_setting('request.jwt.claim.role', true) AS claim_role;
GRANT SELECT ON whoami TO anon;
-- A request's own SQL that changes the identity for the whole session
-- (authenticator may become any request role): the next request on that
-- connection must not inherit it.
CREATE FUNCTION become_service() RETURNS text LANGUAGE sql VOLATILE
  AS $$ SELECT set_config('request.jwt.claim.sub', '22222222-2222-4222-8222-222222222222', false)
       || set_config('role', 'service_role', false) $$;
CREATE VIEW become_service AS SELECT become_service() AS x;
GRANT SELECT ON become_service TO anon;
