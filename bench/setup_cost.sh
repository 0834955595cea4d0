# bench/setup_cost.sh - bench/run --setup-cost: PostgreSQL's CPU per
# transaction of S1 (a read by key), S2 (20 rows, ordered) and S3 (a
# one-row insert), replayed by
# pgbench (prepared, pipelined like the server, one client) as the
# statements grow piece by piece, and as the server sends them now: where
# the server's extra time in PostgreSQL goes, against the baseline's own
# statement.  Sourced by bench/run once its stack and data set are up
# ($dir, $token, $user, $rounds, $seconds, ticks, kids, median).

# PostgreSQL's CPU (microseconds) per transaction of a pgbench script, as
# a role: its backends' time, the finished ones' included.
pg_cpu_per_tx() {   # script role
	local pg out n before after
	pg=$(head -n 1 "$dir/pg/postmaster.pid")
	before=$(($(ticks $(kids "$pg")) + $(awk '{ print $14 + $15 + $16 + $17 }' /proc/"$pg"/stat)))
	out=$(stack_as_pg "$STACK_PG_BIN/pgbench" -n -M prepared -c 1 -T "$seconds" -f "$1" \
		-h "$dir/pgrun" -U "$2" fluxbase 2>&1)
	after=$(($(ticks $(kids "$pg")) + $(awk '{ print $14 + $15 + $16 + $17 }' /proc/"$pg"/stat)))
	n=$(echo "$out" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p')
	[ -n "$n" ] && [ "$n" -gt 0 ] || { echo "bench: pgbench $1: $out" >&2; exit 1; }
	awk -v t=$((after - before)) -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }'
}

# What a variant is, in the tables' words.
what_of() {
	case $1 in
	bare) echo "baseline's statement, table owner, no RLS" ;;
	main) echo "our statement by key, table owner, no RLS" ;;
	role) echo "+ opening statement: role, sub (RLS applies)" ;;
	claims) echo "+ claims, claim.role, claim.email" ;;
	readonly) echo "+ transaction_read_only" ;;
	full) echo "+ session check (what the server sends for a new caller)" ;;
	reused) echo "identity kept on the connection: its check, read-only, session check (the same caller again)" ;;
	s1_rls) echo "our statement alone, identity on the session (RLS applies)" ;;
	s1_ident) echo "+ identity check (role, claims, their settings, statement timeout)" ;;
	s1_ro) echo "+ transaction_read_only" ;;
	folded) echo "+ session check: the checks folded into the read (what the server sends)" ;;
	s2_bare) echo "baseline's statement, table owner, no RLS" ;;
	s2_main) echo "our statement, table owner, no RLS" ;;
	s2_rls) echo "our statement alone, identity on the session (RLS applies)" ;;
	s2_folded) echo "+ the checks folded in: one statement (what the server sends)" ;;
	ins_bare) echo "baseline's insert, table owner, no RLS" ;;
	ins_main) echo "our insert alone, identity on the session (RLS applies)" ;;
	ins_two) echo "+ opening statement: identity check, session check (before the checks were folded)" ;;
	ins_folded) echo "the same checks folded into the insert: one statement" ;;
	ins_object) echo "+ one object taken as it is, no array (what the server sent before)" ;;
	ins_direct) echo "the INSERT alone, its RETURNING the answer, the checks its SELECT's WHERE (what the server sends)" ;;
	ins_alone) echo "the same without its checks: their cost is the difference" ;;
	esac
}

# Each variant's script ($dir/pgbench/<variant>.sql) run $rounds times,
# then the medians: the baseline's and our statement alone as the table
# owner; the rest as the authenticator, and where the identity is reused
# (as a worker keeps it between requests of the same caller) with it
# already on the connection's session.
cost_table() {   # scenario variant...
	local scenario=$1 v as i
	local -A cost
	shift
	chmod -R a+rX "$dir/pgbench"
	for ((i = 0; i < rounds; i++)); do
		for v; do
			case $v in bare | main | ins_bare | s2_bare | s2_main) as=$STACK_PG_SUPER ;; *) as=authenticator ;; esac
			case $v in reused | folded | ins_* | s1_* | s2_rls | s2_folded)
				[ $v = ins_bare ] || export PGOPTIONS="$reuse_opts" ;;
			esac
			cost[$v]+="$(pg_cpu_per_tx "$dir/pgbench/$v.sql" "$as") "
			unset PGOPTIONS
		done
	done
	echo "PostgreSQL CPU per $scenario transaction (us, median of $rounds runs of ${seconds} s, one client):"
	for v; do
		printf '%-10s %7.1f  %s\n' "$v" "$(printf '%s\n' ${cost[$v]} | median)" "$(what_of $v)"
	done
}

setup_cost_run() {
	# The token's claims, as the server passes them.
	payload=$(echo "$token" | cut -d. -f2 | tr '_-' '/+')
	while [ $(( ${#payload} % 4 )) != 0 ]; do payload="$payload="; done
	claims=$(echo "$payload" | base64 -d)
	session=$(echo "$claims" | sed -n 's/.*"session_id":"\([^"]*\)".*/\1/p')
	main='SELECT NULL::bigint AS total, 1::bigint AS n, pg_catalog.row_to_json(_fb_src.*)::text AS body FROM (SELECT _fb_t.* FROM "public"."items" AS _fb_t WHERE _fb_t."id" = :id LIMIT 1000) AS _fb_src;'
	role="set_config('role', 'authenticated', true), set_config('request.jwt.claim.sub', '$user', true)"
	more="set_config('request.jwt.claims', '$claims', true), set_config('request.jwt.claim.role', 'authenticated', true), set_config('request.jwt.claim.email', 'bench@example.com', true)"
	ro="set_config('transaction_read_only', 'on', true)"
	check="CASE WHEN EXISTS (SELECT 1 FROM auth.sessions s WHERE s.id = '$session'::uuid AND s.revoked_at IS NULL) THEN true ELSE fluxbase.session_ended() END"
	guard="CASE WHEN current_user = 'authenticated' AND current_setting('request.jwt.claims', true) = '$claims' AND current_setting('request.jwt.claim.sub', true) = '$user' AND current_setting('request.jwt.claim.role', true) = 'authenticated' AND current_setting('request.jwt.claim.email', true) = 'bench@example.com' AND current_setting('request.jwt.claim.session_id', true) = '$session' THEN true ELSE fluxbase.identity_lost() END"
	mkdir -p "$dir/pgbench"
	printf '%s\n' '\set id random(1, 100000)' 'SELECT row_to_json(i)::text FROM items i WHERE id = :id;' >"$dir/pgbench/bare.sql"
	printf '%s\n' '\set id random(1, 100000)' "$main" >"$dir/pgbench/main.sql"
	step() { printf '%s\n' '\set id random(1, 100000)' '\startpipeline' "SELECT $2;" "$main" '\endpipeline' >"$dir/pgbench/$1.sql"; }
	step role "$role"
	step claims "$role, $more"
	step readonly "$role, $more, $ro"
	step full "$role, $more, $ro, $check"
	step reused "$guard, $ro, $check"
	# folded: the same checks inside the read itself, one statement (what
	# a worker sends for a read by the same caller; session_sql.c).
	held="current_user = 'authenticated' AND current_setting('request.jwt.claims', true) = '$claims' AND current_setting('request.jwt.claim.sub', true) = '$user' AND current_setting('request.jwt.claim.role', true) = 'authenticated' AND current_setting('request.jwt.claim.email', true) = 'bench@example.com' AND current_setting('request.jwt.claim.session_id', true) = '$session' AND current_setting('statement_timeout') = '10s'"
	fold() { printf '%s\n' '\set id random(1, 100000)' "SELECT * FROM (${main%;}) _fb_main WHERE (SELECT $2);" >"$dir/pgbench/$1.sql"; }
	printf '%s\n' '\set id random(1, 100000)' "$main" >"$dir/pgbench/s1_rls.sql"
	fold s1_ident "CASE WHEN $held THEN true ELSE fluxbase.identity_lost() END"
	fold s1_ro "CASE WHEN $held THEN $ro = 'on' ELSE fluxbase.identity_lost() END"
	fold folded "CASE WHEN $held THEN $ro = 'on' ELSE fluxbase.identity_lost() END AND $check"
	reuse_opts="-c role=authenticated -c request.jwt.claims=$claims -c request.jwt.claim.sub=$user -c request.jwt.claim.role=authenticated -c request.jwt.claim.email=bench@example.com -c request.jwt.claim.session_id=$session -c statement_timeout=10s"
	cost_table "S1" bare main role claims readonly full reused s1_rls s1_ident s1_ro folded

	# S2: 20 active rows in key order, as the baseline and the server
	# read them.
	echo
	printf '%s\n' "SELECT coalesce(json_agg(t), '[]')::text FROM (SELECT * FROM items WHERE status = 'active' ORDER BY id LIMIT 20) t;" >"$dir/pgbench/s2_bare.sql"
	list='WITH _fb_src AS (SELECT _fb_t.* FROM "public"."items" AS _fb_t WHERE _fb_t."status" = '"'active'"' ORDER BY _fb_t."id" ASC LIMIT 20) SELECT NULL::bigint AS total, pg_catalog.count(*) AS n, coalesce(pg_catalog.json_agg(_fb_src.*), '"'[]'"')::text AS body FROM _fb_src'
	printf '%s\n' "$list;" >"$dir/pgbench/s2_main.sql"
	printf '%s\n' "$list;" >"$dir/pgbench/s2_rls.sql"
	printf '%s\n' "SELECT * FROM ($list) _fb_main WHERE (SELECT CASE WHEN $held THEN $ro = 'on' ELSE fluxbase.identity_lost() END AND $check);" >"$dir/pgbench/s2_folded.sql"
	cost_table "S2" s2_bare s2_main s2_rls s2_folded

	# S3: one row inserted.  Writes run in the same transaction as the
	# opening statement (no read-only); the insert before and after it
	# took one object without an array.
	body="{\"owner\":\"$user\",\"status\":\"new\",\"title\":\"bench\"}"
	ins='INSERT INTO "public"."items" AS _fb_t ("owner", "status", "title") SELECT r."owner", r."status", r."title" FROM'
	rows=' RETURNING _fb_t.*), _fb_src AS (SELECT _fb_w.* FROM _fb_w) SELECT NULL::bigint AS total, pg_catalog.count(*) AS n, max(pg_catalog.row_to_json(_fb_src.*)::text) AS body FROM _fb_src'
	array="WITH _fb_body AS (SELECT CASE pg_catalog.jsonb_typeof(j) WHEN 'array' THEN j ELSE pg_catalog.jsonb_build_array(j) END AS j FROM (SELECT '$body'::jsonb AS j) b), _fb_w AS ($ins _fb_body, pg_catalog.jsonb_array_elements(_fb_body.j) WITH ORDINALITY e(j, i), pg_catalog.jsonb_populate_record(NULL::\"public\".\"items\", e.j) r ORDER BY e.i$rows"
	object="WITH _fb_w AS ($ins (SELECT '$body'::jsonb AS j) e, pg_catalog.jsonb_populate_record(NULL::\"public\".\"items\", e.j) r$rows"
	wguard="(SELECT CASE WHEN $held THEN true ELSE fluxbase.identity_lost() END AND $check)"
	printf '%s\n' "INSERT INTO items (owner, status, title) SELECT r.owner, r.status, r.title FROM json_populate_record(NULL::items, '$body'::json) r RETURNING row_to_json(items)::text;" >"$dir/pgbench/ins_bare.sql"
	printf '%s\n' "$array;" >"$dir/pgbench/ins_main.sql"
	printf '%s\n' '\startpipeline' "SELECT $guard, set_config('transaction_read_only', 'off', true), set_config('statement_timeout', '10s', false), $check;" "$array;" '\endpipeline' >"$dir/pgbench/ins_two.sql"
	printf '%s\n' "$array WHERE $wguard;" >"$dir/pgbench/ins_folded.sql"
	printf '%s\n' "$object WHERE $wguard;" >"$dir/pgbench/ins_object.sql"
	direct="$ins (SELECT '$body'::jsonb AS j) e, pg_catalog.jsonb_populate_record(NULL::\"public\".\"items\", e.j) r"
	answer=' RETURNING NULL::bigint AS total, 1::bigint AS n, pg_catalog.row_to_json(_fb_t.*)::text AS body'
	printf '%s\n' "$direct WHERE $wguard$answer;" >"$dir/pgbench/ins_direct.sql"
	printf '%s\n' "$direct$answer;" >"$dir/pgbench/ins_alone.sql"
	echo
	cost_table "S3" ins_bare ins_main ins_two ins_folded ins_object ins_direct ins_alone
}
