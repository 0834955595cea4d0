/*
 * mail.c - the two transports behind mail_send(), and the message they
 * carry: plain text, or text and HTML as multipart/alternative (the HTML
 * in base64, so no line is too long and a link appears once in clear).
 * Mail files are named by the time to the nanosecond, so they sort in
 * the order they were written.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "conf.h"
#include "log.h"
#include "mail.h"

/* text with CRLF line ends appended to out (room checked by the caller). */
static size_t
mail_put_crlf(char *out, size_t n, size_t cap, const char *text)
{
	for (const char *p = text; *p && n + 3 < cap; p++) {
		if (*p == '\n' && (p == text || p[-1] != '\r'))
			out[n++] = '\r';
		out[n++] = *p;
	}
	return n;
}

/* html in base64 lines of 76 characters, CRLF after each. */
static size_t
mail_put_base64(char *out, size_t n, size_t cap, const char *html)
{
	size_t len = strlen(html);

	for (size_t i = 0; i < len && n + 80 < cap; i += 57) {
		size_t chunk = len - i < 57 ? len - i : 57;

		sodium_bin2base64(out + n, cap - n, (const unsigned char *)html + i, chunk,
		    sodium_base64_VARIANT_ORIGINAL);
		n += strlen(out + n);
		out[n++] = '\r';
		out[n++] = '\n';
	}
	return n;
}

/*
 * The whole message, CRLF line ends; malloc'ed.  With html, a
 * multipart/alternative of the text (8bit) and the HTML (base64).
 */
static char *
mail_format(const struct conf *c, const char *to, const char *subject, const char *text,
    const char *html, size_t *len)
{
	char date[64], id[33], boundary[40];
	unsigned char rnd[16];
	time_t now = time(NULL);
	struct tm tm;
	size_t cap = strlen(text) * 2 + (html ? strlen(html) * 2 : 0) + 2048;
	char *out = malloc(cap);
	size_t n;
	const char *at = strrchr(to, '@');

	if (out == NULL)
		return NULL;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(id, sizeof(id), rnd, sizeof(rnd));
	snprintf(boundary, sizeof(boundary), "=_%.24s", id);
	n = (size_t)snprintf(out, cap,
	    "From: %s\r\nTo: <%s>\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@%s>\r\n"
	    "MIME-Version: 1.0\r\n",
	    c->mail_from, to, subject, date, id, at ? at + 1 : "localhost");
	if (html != NULL)
		n += (size_t)snprintf(out + n, cap - n,
		    "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n--%s\r\n",
		    boundary, boundary);
	n += (size_t)snprintf(out + n, cap - n,
	    "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
	n = mail_put_crlf(out, n, cap, text);
	if (html != NULL) {
		n += (size_t)snprintf(out + n, cap - n,
		    "\r\n--%s\r\nContent-Type: text/html; charset=utf-8\r\n"
		    "Content-Transfer-Encoding: base64\r\n\r\n",
		    boundary);
		n = mail_put_base64(out, n, cap, html);
		n += (size_t)snprintf(out + n, cap - n, "--%s--\r\n", boundary);
	}
	out[n] = '\0';
	*len = n;
	return out;
}

/* Written in dir under a name that sorts by time; with rehearse, the
 * same work and then nothing left. */
static int
mail_to_dir(const struct conf *c, const char *msg, size_t len, bool rehearse)
{
	char tmp[4200], final[4200];
	unsigned char rnd[8];
	char hex[17];
	struct timespec ts;
	int fd;
	ssize_t w;

	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(tmp, sizeof(tmp), "%s/.%ld.%09ld-%s.tmp", c->mail_dir, (long)ts.tv_sec, ts.tv_nsec,
	    hex);
	snprintf(final, sizeof(final), "%s/%ld.%09ld-%s.eml", c->mail_dir, (long)ts.tv_sec,
	    ts.tv_nsec, hex);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0) {
		log_err("mail: cannot write in %s: %s", c->mail_dir, strerror(errno));
		return -1;
	}
	w = write(fd, msg, len);
	if (w < 0 || (size_t)w != len || fsync(fd) < 0 || close(fd) < 0) {
		log_err("mail: cannot write %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	/* A rehearsal replaces its own file of the last time: a rename too. */
	if (rehearse)
		snprintf(final, sizeof(final), "%s/.rehearsal", c->mail_dir);
	/* Appears whole or not at all. */
	if (rename(tmp, final) < 0) {
		log_err("mail: cannot rename %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

struct upload {
	const char *data;
	size_t left;
};

static size_t
mail_read(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nmemb;

	if (n > u->left)
		n = u->left;
	memcpy(buf, u->data, n);
	u->data += n;
	u->left -= n;
	return n;
}

/* "Name <a@b>" -> "<a@b>"; "a@b" -> "<a@b>". */
static void
envelope_address(const char *from, char *out, size_t n)
{
	const char *lt = strchr(from, '<'), *gt = lt ? strchr(lt, '>') : NULL;

	if (lt != NULL && gt != NULL)
		snprintf(out, n, "%.*s", (int)(gt - lt + 1), lt);
	else
		snprintf(out, n, "<%s>", from);
}

static int
mail_smtp(const struct conf *c, const char *to, const char *msg, size_t len)
{
	CURL *curl = curl_easy_init();
	struct curl_slist *rcpt = NULL;
	struct upload u = { msg, len };
	char from[300], rcpt_addr[300], errbuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;

	if (curl == NULL)
		return -1;
	envelope_address(c->mail_from, from, sizeof(from));
	snprintf(rcpt_addr, sizeof(rcpt_addr), "<%s>", to);
	rcpt = curl_slist_append(rcpt, rcpt_addr);
	curl_easy_setopt(curl, CURLOPT_URL, c->mail_smtp_url);
	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, mail_read);
	curl_easy_setopt(curl, CURLOPT_READDATA, &u);
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 15L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	/* The CA certificates: libcurl looks where its build's system keeps them
	 * (Debian's path); the bundle's launcher names the host's own file in
	 * SSL_CERT_FILE when it is elsewhere (RHEL-family hosts). */
	const char *ca_file = getenv("SSL_CERT_FILE");

	if (ca_file != NULL && ca_file[0] != '\0')
		curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file);
	if (c->mail_smtp_starttls && strncmp(c->mail_smtp_url, "smtp://", 7) == 0)
		curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (c->mail_smtp_user[0] != '\0') {
		curl_easy_setopt(curl, CURLOPT_USERNAME, c->mail_smtp_user);
		curl_easy_setopt(curl, CURLOPT_PASSWORD, c->mail_smtp_password);
	}
	rc = curl_easy_perform(curl);
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(curl);
	if (rc != CURLE_OK) {
		/* The URL and the error only: never the credentials. */
		log_err("mail: SMTP delivery through %s failed: %s", c->mail_smtp_url,
		    errbuf[0] ? errbuf : curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

int
mail_send(const struct conf *c, const char *to, const char *subject, const char *text,
    const char *html)
{
	size_t len;
	char *msg;
	int rc;

	if (strcmp(c->mail_transport, "none") == 0) {
		log_info("mail: transport none, message to a user not sent");
		return 0;
	}
	msg = mail_format(c, to, subject, text, html, &len);
	if (msg == NULL)
		return -1;
	if (strcmp(c->mail_transport, "smtp") == 0)
		rc = mail_smtp(c, to, msg, len);
	else
		rc = mail_to_dir(c, msg, len, false);
	sodium_memzero(msg, len);
	free(msg);
	return rc;
}

void
mail_rehearse(const struct conf *c, const char *subject, const char *text, const char *html)
{
	size_t len;
	char *msg = mail_format(c, "nobody@invalid", subject, text, html, &len);

	if (msg == NULL)
		return;
	if (strcmp(c->mail_transport, "dir") == 0)
		mail_to_dir(c, msg, len, true);
	sodium_memzero(msg, len);
	free(msg);
}
