# bench/single.sh - sourced by bench/run for --mode single: a second pool
# on the same PostgreSQL cluster, in single-login mode, beside the stack's
# own pool (roles mode), so that S1-S3 run on both in turns, A B A B.
#
# What a shared host gives, made with the stack's superuser: a login
# "site" that is NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS and owns
# the database "site".  The second pool's config is the stack's with its
# own socket, pid file, logs, mail and storage directories, [database]
# url = that login (no admin_url) and mode = single; it is migrated as that
# login.  Its items table is the same as the roles side's (same rows, same
# owner policy), created by the login, which therefore owns it; the
# policy comes first, then auth.expose(), which forces row-level security
# and adds its restrictive policies on auth.role() (and, since the table
# has a policy of its own, no "all rows" one).
#
# nginx: both pools behind two identical minimal servers (one location,
# unix socket, no FastCGI keep-alive, no access log), so that nginx does
# the same work on both sides and the ratio is the pools' alone.
#
# Uses bench/run's variables: dir, root, FLUXBASE_BIN, workers; the stack's
# functions (tests/lib/stack.sh); items_sql from bench/run.
# shellcheck shell=bash disable=SC2154

single_dir=$dir/single

# nginx servers for both sides, appended to bench/run's extra config.
single_nginx() {   # roles-port single-port
	local side port sock
	for side in roles single; do
		if [ $side = roles ]; then port=$1 sock=$dir/run/fluxbase.sock
		else port=$2 sock=$single_dir/run/fluxbase.sock; fi
		cat <<EOT
# --mode single: the $side pool, the same minimal server for both sides.
server {
    listen 127.0.0.1:$port reuseport;
    access_log off;
    location /api/v1/ {
        include fastcgi_params;
        fastcgi_pass unix:$sock;
    }
}
EOT
	done
}

# The login, its database, the config, the migration, the pool, a user
# (single_token, single_user) and the items table.
single_up() {   # api-url of the single side
	local conf=$single_dir/fluxbase.conf session
	mkdir -p "$single_dir/run" "$single_dir/log" "$single_dir/mail" "$single_dir/storage"
	chmod 755 "$single_dir" "$single_dir/run"
	stack_psql -d postgres <<EOT
CREATE ROLE site LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS;
CREATE DATABASE site OWNER site;
EOT
	# The stack's config with the single side's paths and login.
	sed -e "s|$dir/run/|$single_dir/run/|g" \
		-e "s|^error_log = .*|error_log = $single_dir/log/fluxbase.log|" \
		-e "s|^access_log = .*|access_log = $single_dir/log/access.log|" \
		-e "s|^dir = $dir/mail\$|dir = $single_dir/mail|" \
		-e "s|^root = $dir/storage\$|root = $single_dir/storage|" \
		-e "s|^url = .*|url = host=$dir/pgrun dbname=site user=site\nmode = single|" \
		-e '/^admin_url = /d' \
		"$dir/fluxbase.conf" >"$conf"
	if ! grep -q '^mode = single$' "$conf" || ! grep -q "dbname=site user=site" "$conf"; then
		echo "bench: could not write the single-mode config" >&2
		exit 1
	fi
	"$FLUXBASE_BIN" -c "$conf" migrate >"$single_dir/log/migrate.log" 2>&1 ||
		{ cat "$single_dir/log/migrate.log" >&2; echo "bench: migrate as the site login failed" >&2; exit 1; }
	STACK_DIR=$single_dir stack_pool_start
	session=$(curl -sS "$1/auth/signup" -d '{"email":"bench@example.com","password":"bench password 1"}') ||
		{ echo "bench: signup on the single side failed" >&2; exit 1; }
	single_token=$(echo "$session" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
	single_user=$(echo "$session" | sed -n 's/.*"user":{"id":"\([^"]*\)".*/\1/p')
	if [ -z "$single_token" ] || [ -z "$single_user" ]; then
		echo "bench: signup on the single side failed: ${session:0:300}" >&2
		exit 1
	fi
	{
		echo "SET ROLE site;"
		items_sql "$single_user"
		echo "SELECT auth.expose('public.items', 'authenticated', 'select,insert,update,delete');"
	} | stack_psql -d site -q >/dev/null
	single_check "$1"
}

# Both sides must answer S1 and S2 with the same rows before they are
# compared (their user ids differ: compared without the owner column).
single_check() {   # api-url of the single side
	local q a b id=$((RANDOM % 1000 + 1)) strip='s/"owner":"[^"]*",//g; s/"created_at":"[^"]*"//g'
	for q in "/$id" '?status.eq=active&order=id.asc&limit=20'; do
		a=$(curl -sS "$1/tables/items$q" -H "Authorization: Bearer $single_token" | sed "$strip") || a=
		b=$(curl -sS "$roles_api/tables/items$q" -H "Authorization: Bearer $token" | sed "$strip") || b=
		if [ -z "$a" ] || [ "$a" != "$b" ] || [[ $a != *'"title":"item '* ]]; then
			echo "bench: single and roles sides answer /tables/items$q differently:" >&2
			echo "  single: ${a:0:300}" >&2
			echo "  roles:  ${b:0:300}" >&2
			exit 1
		fi
	done
}

single_down() {
	[ -d "$single_dir/run" ] && STACK_DIR=$single_dir stack_pool_stop
	return 0
}

single_pool_pid() { STACK_DIR=$single_dir stack_pool_pid; }

# One JSON object: each scenario's single and roles rates and their ratio.
single_json() {   # machine
	local row id sep=
	printf '{"machine":"%s","date":"%s","workers":%d,"mode":"single","target_ratio":0.9,"scenarios":[' \
		"$1" "$(date -u +%FT%TZ)" "$workers"
	for row in "${rows[@]}"; do
		id=${row%%|*}
		printf '%s{"id":"%s","label":"%s","single":%s,"roles":%s,"ratio":%s,%s,"p50_ms":%s,"p99_ms":%s,"roles_p99_ms":%s}' \
			"$sep" "$id" "${row#*|}" "${R[$id.ours]}" "${R[$id.base]}" "${R[$id.ratio]}" "$(spread_json "$id")" \
			"${R[$id.p50]}" "${R[$id.p99]}" "${R[$id.bp99]}"
		sep=,
	done
	printf ']}\n'
}
