/*
 * migrate_single.c - the migrations as single-login mode runs them.
 *
 * [database] mode = single runs with one login that can neither create
 * roles nor event triggers.  Every migration is written once, for roles
 * mode; in single mode the statements that speak of roles are left out,
 * and nothing else: GRANT, REVOKE, ALTER DEFAULT PRIVILEGES, CREATE /
 * ALTER / DROP EVENT TRIGGER, and a DO block that creates roles.  What
 * those statements say is said in single mode by the policies of
 * fluxbase.single_mode_apply() (migration 0022), run after the migrations.
 *
 * The splitter knows PostgreSQL's lexical forms that may hold a ';':
 * single-quoted strings (with '' inside), quoted identifiers, dollar
 * quotes ($$ and $tag$), line comments and nested block comments.
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "migrate.h"

/* Past a dollar-quote's opening tag at p ("$$" or "$tag$"): its length,
 * or 0 when p does not open one. */
static size_t
dollar_tag(const char *p)
{
	size_t n = 1;

	if (*p != '$')
		return 0;
	while (isalnum((unsigned char)p[n]) || p[n] == '_')
		n++;
	if (p[n] != '$' || (n > 1 && isdigit((unsigned char)p[1])))
		return 0;
	return n + 1;
}

/* The end of the statement starting at p: its ';' (or the text's end). */
static const char *
statement_end(const char *p)
{
	while (*p != '\0' && *p != ';') {
		size_t tag;

		if (*p == '\'' || *p == '"') {
			char q = *p++;

			while (*p != '\0' && !(*p == q && p[1] != q))
				p += *p == q ? 2 : 1;
			if (*p != '\0')
				p++;
		} else if (p[0] == '-' && p[1] == '-') {
			p += strcspn(p, "\n");
		} else if (p[0] == '/' && p[1] == '*') {
			int depth = 0;

			do {
				if (p[0] == '/' && p[1] == '*')
					depth++, p += 2;
				else if (p[0] == '*' && p[1] == '/')
					depth--, p += 2;
				else
					p++;
			} while (*p != '\0' && depth > 0);
		} else if ((tag = dollar_tag(p)) > 0) {
			const char *close = p + tag;

			while (*close != '\0' && strncmp(close, p, tag) != 0)
				close++;
			p = *close != '\0' ? close + tag : close;
		} else {
			p++;
		}
	}
	return p;
}

/* The statement's first words, past blanks and comments, start with
 * these (case-insensitive, single spaces matching any blank run). */
static bool
starts_with_words(const char *p, const char *end, const char *words)
{
	for (;;) {
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p + 1 < end && p[0] == '-' && p[1] == '-')
			p += strcspn(p, "\n");
		else
			break;
	}
	while (*words != '\0') {
		if (*words == ' ') {
			if (p >= end || !isspace((unsigned char)*p))
				return false;
			while (p < end && isspace((unsigned char)*p))
				p++;
			words++;
		} else if (p < end && toupper((unsigned char)*p) == *words) {
			p++, words++;
		} else {
			return false;
		}
	}
	return p >= end || !(isalnum((unsigned char)*p) || *p == '_');
}

static bool
mentions(const char *p, const char *end, const char *what)
{
	size_t n = strlen(what);

	for (; p + n <= end; p++)
		if (strncasecmp(p, what, n) == 0)
			return true;
	return false;
}

static bool
speaks_of_roles(const char *p, const char *end)
{
	static const char *const skipped[] = { "GRANT", "REVOKE", "ALTER DEFAULT PRIVILEGES",
		"CREATE EVENT TRIGGER", "ALTER EVENT TRIGGER", "DROP EVENT TRIGGER" };

	for (size_t i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++)
		if (starts_with_words(p, end, skipped[i]))
			return true;
	return starts_with_words(p, end, "DO") && mentions(p, end, "CREATE ROLE");
}

char *
migrate_single_sql(const char *sql)
{
	size_t len = strlen(sql);
	char *out = malloc(len + 1), *o = out;
	const char *p = sql;

	if (out == NULL)
		return NULL;
	while (*p != '\0') {
		const char *end = statement_end(p);
		const char *next = *end == ';' ? end + 1 : end;

		if (!speaks_of_roles(p, end)) {
			memcpy(o, p, (size_t)(next - p));
			o += next - p;
		}
		p = next;
	}
	*o = '\0';
	return out;
}
