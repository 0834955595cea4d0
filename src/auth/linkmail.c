/*
 * auth/linkmail.c - links, codes and the mails that carry them.
 *
 * Every type has a built-in subject, text and HTML body; [mail]
 * templates_dir may hold TYPE.subject, TYPE.txt and TYPE.html to replace
 * any of them (read at each mail: an edit needs no reload).  Placeholders
 * are {{link}}, {{code}}, {{email}}, {{new_email}} and {{site_url}}; in
 * HTML their values are escaped, and a subject loses any line break.  The
 * mail goes out as multipart/alternative through mail.c.  An address that
 * gets no mail (unknown, throttled) has the same mail rendered and its
 * delivery rehearsed, so the answer takes as long either way.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth/linkmail.h"
#include "arena.h"
#include "conf.h"
#include "http.h"
#include "log.h"
#include "mail.h"

#define TEMPLATE_MAX (64 * 1024)

struct template
{
	const char *type, *subject, *text, *html;
};

#define FOOTER "If you did not ask for this, ignore this message."
#define HTML(body) "<!doctype html><html><body>" body "<p>" FOOTER "</p></body></html>\n"
#define CODE_LINE "Or enter this code: {{code}}"
#define HTML_LINK "<p><a href=\"{{link}}\">{{link}}</a></p><p>" CODE_LINE "</p>"

static const struct template builtin[] = {
	{ "signup", "Confirm your address",
	    "Hello,\n\nFollow this link to confirm your address:\n\n{{link}}\n\n" CODE_LINE
	    "\n\n" FOOTER "\n",
	    HTML("<p>Follow this link to confirm your address for {{site_url}}:</p>" HTML_LINK) },
	{ "recovery", "Reset your password",
	    "Hello,\n\nFollow this link to sign in and choose a new password:\n\n{{link}}\n\n" CODE_LINE
	    "\n\n" FOOTER "\n",
	    HTML("<p>Follow this link to sign in and choose a new password:</p>" HTML_LINK) },
	{ "invite", "You are invited",
	    "Hello,\n\nYou are invited. Follow this link to accept:\n\n{{link}}\n\n" CODE_LINE
	    "\n\n" FOOTER "\n",
	    HTML("<p>You are invited to {{site_url}}. Follow this link to accept:</p>" HTML_LINK) },
	{ "magiclink", NULL, /* [mail] magiclink_subject */
	    "Hello,\n\nFollow this link to sign in:\n\n{{link}}\n\n" CODE_LINE
	    "\n\nIt works once and expires soon. " FOOTER "\n",
	    HTML("<p>Follow this link to sign in:</p>" HTML_LINK) },
	{ "email_change", "Confirm your new address",
	    "Hello,\n\nFollow this link to make {{new_email}} your address instead of {{email}}:\n\n"
	    "{{link}}\n\n" CODE_LINE "\n\n" FOOTER "\n",
	    HTML("<p>Follow this link to make {{new_email}} your address instead of "
	         "{{email}}:</p>" HTML_LINK) },
	{ NOTICE_EMAIL_CHANGE, "Your address is changing",
	    "Hello,\n\nSomeone asked to change the address of your account from"
	    " {{email}} to another one. It changes once the new address is confirmed.\n\nIf it"
	    " was not you, sign in and change your password.\n",
	    "<!doctype html><html><body><p>Someone asked to change the address of your account at"
	    " {{site_url}} from {{email}} to another one. It changes once the new address is"
	    " confirmed.</p><p>If it was not you, sign in and change your password.</p></body>"
	    "</html>\n" },
};

bool
link_type_ok(const char *type)
{
	static const char *const types[] = { LINK_TYPES };

	for (size_t i = 0; type != NULL && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(type, types[i]) == 0)
			return true;
	return false;
}

void
link_new(struct request *r, struct link *l)
{
	refresh_token_new(r->conf, &l->token);
	link_code_new(r->conf, r->conf->otp_length, l->code, l->code_hash);
}

void
link_wipe(struct link *l)
{
	sodium_memzero(l, sizeof(*l));
}

int
link_public_url_check(struct request *r)
{
	if (r->conf->public_url[0] != '\0')
		return 0;
	log_err("auth: mailed links need [server] public_url (links are never built from the"
	        " request's Host header)");
	return response_internal(r);
}

char *
link_url(struct request *r, const char *type, const char *token)
{
	/* Magic links keep the address they always had. */
	if (strcmp(type, "magiclink") == 0)
		return arena_printf(r->arena, "%s/api/v1/auth/magiclink/verify?token=%s",
		    r->conf->public_url, token);
	return arena_printf(r->arena, "%s/api/v1/auth/verify?type=%s&token=%s", r->conf->public_url,
	    type, token);
}

/* A template file of the operator's (in the request's arena), or NULL. */
static char *
linkmail_file(struct request *r, const char *type, const char *ext)
{
	const struct conf *c = r->conf;
	char path[4200], *text;
	FILE *f;
	size_t n;

	if (c->mail_templates_dir[0] == '\0')
		return NULL;
	snprintf(path, sizeof(path), "%s/%s.%s", c->mail_templates_dir, type, ext);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	text = arena_alloc(r->arena, TEMPLATE_MAX + 1);
	n = fread(text, 1, TEMPLATE_MAX, f);
	fclose(f);
	text[n] = '\0';
	return text;
}

/* s with &, <, >, " and ' escaped for HTML. */
static void
put_escaped(struct strbuf *b, const char *s, bool html)
{
	for (; s != NULL && *s; s++) {
		if (!html)
			strbuf_putc(b, *s);
		else if (*s == '&')
			strbuf_puts(b, "&amp;");
		else if (*s == '<')
			strbuf_puts(b, "&lt;");
		else if (*s == '>')
			strbuf_puts(b, "&gt;");
		else if (*s == '"')
			strbuf_puts(b, "&quot;");
		else if (*s == '\'')
			strbuf_puts(b, "&#39;");
		else
			strbuf_putc(b, *s);
	}
}

struct placeholders {
	const char *link, *code, *email, *new_email, *site_url;
};

/* The template with its placeholders filled in (in the arena). */
static char *
linkmail_render(struct request *r, const char *tpl, const struct placeholders *p, bool html)
{
	static const char *const names[] = { "link", "code", "email", "new_email", "site_url" };
	const char *values[] = { p->link, p->code, p->email, p->new_email, p->site_url };
	struct strbuf b;

	strbuf_init(&b, r->arena, 1024);
	while (*tpl) {
		bool done = false;

		for (size_t i = 0; !done && strncmp(tpl, "{{", 2) == 0 && i < 5; i++) {
			size_t n = strlen(names[i]);

			if (strncmp(tpl + 2, names[i], n) == 0 &&
			    strncmp(tpl + 2 + n, "}}", 2) == 0) {
				put_escaped(&b, values[i] ? values[i] : "", html);
				tpl += n + 4;
				done = true;
			}
		}
		if (!done)
			strbuf_putc(&b, *tpl++);
	}
	return b.data;
}

static const struct template *
linkmail_builtin(const char *type)
{
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		if (strcmp(builtin[i].type, type) == 0)
			return &builtin[i];
	return NULL;
}

/* One part of the mail: the operator's file, else the built-in one. */
static char *
linkmail_part(struct request *r, const char *type, const char *ext, const char *def,
    const struct placeholders *p)
{
	char *file = linkmail_file(r, type, ext);

	return linkmail_render(r, file ? file : def, p, strcmp(ext, "html") == 0);
}

void
linkmail_send(struct request *r, const char *type, const char *to, const struct link *l,
    const char *email, const char *new_email)
{
	const struct template *t = linkmail_builtin(type);
	struct placeholders p = { NULL, NULL, email, new_email, r->conf->public_url };
	char *subject, *text, *html;

	if (t == NULL)
		return;
	if (l != NULL) {
		p.link = link_url(r, type, l->token.token);
		p.code = l->code;
	}
	subject = linkmail_part(r, type, "subject",
	    t->subject ? t->subject : r->conf->mail_magiclink_subject, &p);
	subject[strcspn(subject, "\r\n")] = '\0';
	text = linkmail_part(r, type, "txt", t->text, &p);
	html = linkmail_part(r, type, "html", t->html, &p);
	if (to == NULL)
		mail_rehearse(r->conf, subject, text, html);
	else if (mail_send(r->conf, to, subject, text, html) < 0)
		log_err("auth: a %s mail could not be delivered (request %s)", type, r->request_id);
	sodium_memzero(text, strlen(text));
	sodium_memzero(html, strlen(html));
}
