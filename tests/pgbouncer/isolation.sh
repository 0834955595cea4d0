#!/bin/bash
# tests/pgbouncer/isolation.sh - two users' requests interleaved over the
# server connections of a pooler: neither ever sees the other's rows or
# claims.  Sourced by tests/pgbouncer/run.sh (which brings the stack and
# PgBouncer up); it defines pgb_isolation only.
#
# Design: the workers keep the caller's role and claims on their database
# session, and a pooler in transaction mode hands one server connection to
# whichever worker runs a transaction next.  With default_pool_size = 1
# and more workers than that, every request of every caller runs on the
# same server connection, right after someone else's.  Two users (notes
# rows only their own by policy), the service role (sees all rows:
# bypasses row security) and the anonymous role (no grant on notes) each
# run a stream of requests at the same time; some streams also make the
# workers reload the schema (a table that does not exist: the reload runs
# as the login role, through db_exec).  Every answer is kept and read
# afterwards: a user's list must hold exactly their own rows, /auth/user
# their own address, the service role all rows, anon none; any other
# answer is a failure.  While the streams run, PgBouncer is asked how
# many server connections the pooler holds: it must be at most the pool's
# size, so the interleaving is real.

# pgb_isolation LABEL POOL_SIZE DATABASE: uses STACK_PORT, STACK_DIR,
# FLUXBASE_BIN, and pgb_servers DATABASE (the server connections PgBouncer
# holds for it, from its console); the pool is up behind PgBouncer.
# Returns non-zero on any failed check (and says which).  Its checks are
# called by name:
# shellcheck disable=SC2317
pgb_isolation() {
	local label=$1 pool_size=$2 db=$3
	local base="http://127.0.0.1:$STACK_PORT/api/v1" work=$STACK_DIR/iso-$label
	local n=${PGB_ISO_REQUESTS:-120} k=4 fails=0 u tok email svc i s f max=0 c
	rm -rf "$work"
	mkdir -p "$work"
	# Tokens in its files: ours alone.
	chmod 700 "$work"
	svc=$("$FLUXBASE_BIN" -c "$STACK_DIR/fluxbase.conf" token --role service_role)

	# Two users, each with k notes of their own (the policy's default
	# owner is auth.uid()).
	for u in a b; do
		email="iso-$label-$u-$$@example.com"
		curl -sS -o "$work/signup-$u.json" -w '%{http_code}' "$base/auth/signup" \
			-H 'Content-Type: application/json' \
			-d "{\"email\":\"$email\",\"password\":\"correct horse battery\"}" \
			>"$work/signup-$u.code"
		tok=$(sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' "$work/signup-$u.json")
		if [ "$(cat "$work/signup-$u.code")" != 201 ] || [ -z "$tok" ]; then
			echo "FAIL [$label]: sign-up of $u: $(cat "$work/signup-$u.code") $(head -c 300 "$work/signup-$u.json")"
			return 1
		fi
		printf '%s' "$tok" >"$work/token-$u"
		printf '%s' "$email" >"$work/email-$u"
		for i in $(seq 1 $k); do
			c=$(curl -sS -o /dev/null -w '%{http_code}' "$base/tables/notes" \
				-H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
				-d "{\"body\":\"$label-$u-note-$i\"}")
			[ "$c" = 201 ] || { echo "FAIL [$label]: $u's note $i: $c"; return 1; }
		done
	done

	# One curl per stream, n requests each on a kept-alive connection:
	# each answer in a file of its own, its status in the stream's list.
	pgb_stream() { # name auth-header url
		local name=$1 auth=$2 url=$3 j
		{
			[ -z "$auth" ] || printf 'header = "Authorization: Bearer %s"\n' "$auth"
			printf 'write-out = "%%{http_code}\\n"\n'
			for j in $(seq 1 "$n"); do
				printf 'url = "%s"\noutput = "%s/%s.%d"\n' "$url" "$work" "$name" "$j"
			done
		} >"$work/$name.curlrc"
		curl -sS -K "$work/$name.curlrc" >"$work/$name.codes" 2>"$work/$name.err" || true
	}
	local ta tb
	ta=$(cat "$work/token-a")
	tb=$(cat "$work/token-b")
	pgb_stream a-notes "$ta" "$base/tables/notes?select=body&order=id" &
	pgb_stream b-notes "$tb" "$base/tables/notes?select=body&order=id" &
	pgb_stream a-user "$ta" "$base/auth/user" &
	pgb_stream b-user "$tb" "$base/auth/user" &
	pgb_stream svc-notes "$svc" "$base/tables/notes?select=body&body=like.$label-*" &
	pgb_stream anon-notes "" "$base/tables/notes?select=body" &
	pgb_stream a-miss "$ta" "$base/tables/no_such_table_$label" &
	# The server connections the pooler holds, while the streams run.
	while [ "$(jobs -rp | wc -l)" -gt 0 ]; do
		c=$(pgb_servers "$db")
		[ "$c" -le "$max" ] || max=$c
		sleep 0.2
	done
	wait

	# Each answer, read.
	pgb_check() { # stream expected-status check-function
		local name=$1 want=$2 check=$3 j=0 code
		while read -r code; do
			j=$((j + 1))
			f=$work/$name.$j
			# The first 20 failures are told, all are counted.
			if [ "$code" != "$want" ]; then
				[ "$fails" -ge 20 ] ||
					echo "FAIL [$label]: $name #$j: status $code, not $want: $(head -c 200 "$f" 2>/dev/null)"
				fails=$((fails + 1))
			elif ! "$check" "$f"; then
				[ "$fails" -ge 20 ] || echo "FAIL [$label]: $name #$j: $(head -c 300 "$f")"
				fails=$((fails + 1))
			fi
		done <"$work/$name.codes"
		if [ "$j" != "$n" ]; then
			echo "FAIL [$label]: $name: $j answers of $n: $(head -c 300 "$work/$name.err")"
			fails=$((fails + 1))
		fi
	}
	# The checks, called by name through pgb_check.
	# Exactly the k own notes: nothing of the other user's.
	own_notes() { # file user
		[ "$(grep -o '"[^"]*note-[0-9]*"' "$1" | wc -l)" = "$k" ] &&
			[ "$(grep -o "\"$label-$2-note-[0-9]*\"" "$1" | sort -u | wc -l)" = "$k" ]
	}
	a_notes() { own_notes "$1" a; }
	b_notes() { own_notes "$1" b; }
	# The user's own address as "email", and nothing of the other's.
	own_user() { # file user other
		tr -d ' ' <"$1" | grep -qF "\"email\":\"$(cat "$work/email-$2")\"" &&
			! grep -qF "$(cat "$work/email-$3")" "$1"
	}
	a_user() { own_user "$1" a b; }
	b_user() { own_user "$1" b a; }
	svc_notes() { [ "$(grep -o "\"$label-[ab]-note-[0-9]*\"" "$1" | sort -u | wc -l)" = $((2 * k)) ]; }
	no_notes() { ! grep -q "note-" "$1"; }
	pgb_check a-notes 200 a_notes
	pgb_check b-notes 200 b_notes
	pgb_check a-user 200 a_user
	pgb_check b-user 200 b_user
	pgb_check svc-notes 200 svc_notes
	# anon: no grant on notes.  The status is whatever the API says for
	# that (read once directly); its rows must be none.
	s=$(head -n 1 "$work/anon-notes.codes")
	case $s in 401 | 403) ;; *) echo "FAIL [$label]: anon reads notes with $s"; fails=$((fails + 1)) ;; esac
	pgb_check anon-notes "$s" no_notes
	pgb_check a-miss 404 no_notes
	if [ "$max" -lt 1 ] || [ "$max" -gt "$pool_size" ]; then
		echo "FAIL [$label]: PgBouncer held $max server connections (pool size $pool_size)"
		fails=$((fails + 1))
	fi
	echo "isolation [$label]: $((7 * n)) requests in 7 streams over at most $max server connection(s): $fails failure(s)"
	[ "$fails" = 0 ]
}
