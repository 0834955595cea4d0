#!/bin/bash
# Runs every ```sh block of docs/API.md, in order, in one shell with
# set -euo pipefail, against a running stack: FLUXBASE_URL, SERVICE_TOKEN,
# DATABASE_URL and FLUXBASE_MAIL_DIR must be set.  Fails on the first
# failing command and says which block it was in.
set -euo pipefail
doc=${1:?usage: doc_examples.sh docs/API.md}
: "${FLUXBASE_URL:?}" "${SERVICE_TOKEN:?}" "${DATABASE_URL:?}" "${FLUXBASE_MAIL_DIR:?}"
script=$(mktemp)
trap 'rm -f "$script"' EXIT
awk '
	/^```sh$/ { inside = 1; n++; print "echo \"--- example block " n "\" >&2"; next }
	/^```$/ && inside { inside = 0; next }
	inside { print }
' "$doc" >"$script"
blocks=$(grep -c '^```sh$' "$doc")
[ "$blocks" -ge 5 ] || { echo "only $blocks example blocks in $doc" >&2; exit 1; }
bash -euo pipefail "$script" >/dev/null
echo "doc examples: $blocks blocks ran green"
