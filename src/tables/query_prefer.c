/*
 * query_prefer.c - the Prefer header of a table request (RFC 7240, as
 * PostgREST 12 reads it).
 *
 * Preferences are separated by commas (semicolons are taken alike).  What
 * is known sets a field of struct prefer; anything else, or a known
 * preference with a value this server does not fulfil (timezone=,
 * params= other than single-object, tx= other than commit or rollback,
 * max-affected= that is not a positive integer), is ignored, as RFC 7240
 * asks, unless the client sent handling=strict: then the handler answers
 * 400 PGRST122 naming p->invalid.  Whether a preference read here is
 * honoured is the handler's business (max-affected only on PATCH and
 * DELETE with handling=strict, as PostgREST 12).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tables/query_parse.h"

static void
note_invalid(struct prefer *p, const char *tok)
{
	size_t n = strlen(p->invalid);

	snprintf(p->invalid + n, sizeof(p->invalid) - n, "%s%s", n ? ", " : "", tok);
}

/* max-affected=N: N a positive integer of digits only. */
static bool
prefer_max_affected(struct prefer *p, const char *value)
{
	char *end;
	long n;

	if (!isdigit((unsigned char)value[0]))
		return false;
	errno = 0;
	n = strtol(value, &end, 10);
	if (errno != 0 || *end != '\0' || n <= 0)
		return false;
	p->max_affected = n;
	return true;
}

/* One preference; false when it is not one this server fulfils. */
static bool
prefer_token(struct prefer *p, const char *tok)
{
	static const struct {
		const char *name;
		int ret, count, resolution;
	} simple[] = {
		{ "return=minimal", RETURN_MINIMAL, -1, -1 },
		{ "return=representation", RETURN_REPRESENTATION, -1, -1 },
		{ "return=headers-only", RETURN_HEADERS_ONLY, -1, -1 },
		{ "count=exact", -1, COUNT_EXACT, -1 },
		{ "count=planned", -1, COUNT_PLANNED, -1 },
		{ "count=estimated", -1, COUNT_ESTIMATED, -1 },
		{ "resolution=merge-duplicates", -1, -1, RESOLUTION_MERGE },
		{ "resolution=ignore-duplicates", -1, -1, RESOLUTION_IGNORE },
	};

	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		if (strcmp(tok, simple[i].name) != 0)
			continue;
		if (simple[i].ret >= 0) {
			p->ret = (enum prefer_return)simple[i].ret;
			p->ret_given = true;
		}
		if (simple[i].count >= 0)
			p->count = (enum prefer_count)simple[i].count;
		if (simple[i].resolution >= 0)
			p->resolution = (enum prefer_resolution)simple[i].resolution;
		return true;
	}
	if (strcmp(tok, "missing=default") == 0)
		p->missing_default = true;
	else if (strcmp(tok, "missing=null") == 0)
		p->missing_default = false;
	else if (strcmp(tok, "handling=strict") == 0 || strcmp(tok, "handling=lenient") == 0)
		p->strict = tok[9] == 's', p->handling_given = true;
	else if (strcmp(tok, "tx=commit") == 0 || strcmp(tok, "tx=rollback") == 0)
		p->tx_rollback = tok[3] == 'r', p->tx_given = true;
	else if (strcmp(tok, "params=single-object") == 0)
		p->params_single = true;
	else if (strncmp(tok, "max-affected=", 13) == 0)
		return prefer_max_affected(p, tok + 13);
	else
		return false;
	return true;
}

void
query_parse_prefer(const char *header, struct prefer *p)
{
	char buf[512], *save = NULL;

	memset(p, 0, sizeof(*p));
	if (header == NULL)
		return;
	snprintf(buf, sizeof(buf), "%s", header);
	for (char *tok = strtok_r(buf, ",;", &save); tok != NULL;
	     tok = strtok_r(NULL, ",;", &save)) {
		while (isspace((unsigned char)*tok))
			tok++;
		for (char *e = tok + strlen(tok); e > tok && isspace((unsigned char)e[-1]); e--)
			e[-1] = '\0';
		if (*tok != '\0' && !prefer_token(p, tok))
			note_invalid(p, tok);
	}
}
