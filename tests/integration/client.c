#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <sodium.h>
#include <json-c/json.h>

#include "client.h"
#include "suites.h"

struct buf {
	char *data;
	size_t len;
};

static size_t
collect(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t n = size * nmemb;
	char *p = realloc(b->data, b->len + n + 1);

	if (p == NULL)
		return 0;
	memcpy(p + b->len, ptr, n);
	b->data = p;
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

int
http_do(const char *method, const char *url, const char *const *extra, const char *body,
    size_t body_len, struct http_resp *out)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hl = NULL;
	struct buf b = { NULL, 0 }, h = { NULL, 0 };
	CURLcode rc;

	memset(out, 0, sizeof(*out));
	if (c == NULL)
		return -1;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	}
	hl = curl_slist_append(hl, "Expect:");
	for (; extra != NULL && *extra != NULL; extra++)
		hl = curl_slist_append(hl, *extra);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	rc = curl_easy_perform(c);
	out->curl_error = (int)rc;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &out->seconds);
	out->body = b.data ? b.data : calloc(1, 1);
	out->len = b.len;
	out->headers = h.data ? h.data : calloc(1, 1);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	return rc == CURLE_OK ? 0 : -1;
}

static void
http_finish(CURL *c, CURLcode rc, struct buf *b, struct buf *h, struct http_resp *out)
{
	out->curl_error = (int)rc;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &out->seconds);
	out->body = b->data ? b->data : calloc(1, 1);
	out->len = b->len;
	out->headers = h->data ? h->data : calloc(1, 1);
}

int
http_upload_file(const char *method, const char *url, const char *const *extra, const char *path,
    bool multipart, const char *part_type, struct http_resp *out)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hl = NULL;
	struct buf b = { NULL, 0 }, h = { NULL, 0 };
	curl_mime *mime = NULL;
	FILE *f = NULL;
	CURLcode rc;

	memset(out, 0, sizeof(*out));
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 300L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
	hl = curl_slist_append(hl, "Expect:");
	for (; extra != NULL && *extra != NULL; extra++)
		hl = curl_slist_append(hl, *extra);
	if (multipart) {
		curl_mimepart *part;

		mime = curl_mime_init(c);
		part = curl_mime_addpart(mime);
		curl_mime_name(part, "note");
		curl_mime_data(part, "a field before the file", CURL_ZERO_TERMINATED);
		part = curl_mime_addpart(mime);
		curl_mime_name(part, "file");
		curl_mime_filedata(part, path);
		if (part_type != NULL)
			curl_mime_type(part, part_type);
		curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
	} else {
		struct stat st;

		f = fopen(path, "rb");
		if (f == NULL || fstat(fileno(f), &st) < 0)
			return -1;
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READDATA, f);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)st.st_size);
	}
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	rc = curl_easy_perform(c);
	http_finish(c, rc, &b, &h, out);
	if (f != NULL)
		fclose(f);
	curl_mime_free(mime);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	return rc == CURLE_OK ? 0 : -1;
}

struct hashing {
	crypto_hash_sha256_state st;
	uint64_t n;
};

static size_t
hash_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct hashing *hs = arg;

	crypto_hash_sha256_update(&hs->st, (unsigned char *)ptr, size * nmemb);
	hs->n += size * nmemb;
	return size * nmemb;
}

int
http_download(const char *method, const char *url, const char *const *extra, char sha_hex[65],
    uint64_t *bytes, struct http_resp *out)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hl = NULL;
	struct buf b = { NULL, 0 }, h = { NULL, 0 };
	struct hashing hs;
	unsigned char digest[crypto_hash_sha256_BYTES];
	CURLcode rc;

	memset(out, 0, sizeof(*out));
	crypto_hash_sha256_init(&hs.st);
	hs.n = 0;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 300L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, hash_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &hs);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	for (; extra != NULL && *extra != NULL; extra++)
		hl = curl_slist_append(hl, *extra);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	rc = curl_easy_perform(c);
	http_finish(c, rc, &b, &h, out);
	crypto_hash_sha256_final(&hs.st, digest);
	sodium_bin2hex(sha_hex, 65, digest, sizeof(digest));
	*bytes = hs.n;
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	return rc == CURLE_OK ? 0 : -1;
}

char *
http_header(const struct http_resp *r, const char *name)
{
	size_t n = strlen(name);
	const char *p = r->headers;

	while (p != NULL && *p != '\0') {
		const char *eol = strchr(p, '\n');

		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1;
			const char *end = eol ? eol : v + strlen(v);

			while (*v == ' ')
				v++;
			while (end > v && isspace((unsigned char)end[-1]))
				end--;
			return strndup(v, (size_t)(end - v));
		}
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

void
http_resp_free(struct http_resp *r)
{
	free(r->body);
	free(r->headers);
	memset(r, 0, sizeof(*r));
}

const char *
api_url(const char *path)
{
	static char url[2048];
	const char *base = getenv("FB_URL");

	snprintf(url, sizeof(url), "%s%s", base ? base : "", path);
	return url;
}

/* ---- helpers -------------------------------------------------------------- */

int
stack_cmd(const char *cmd)
{
	char line[4096];

	snprintf(line, sizeof(line), "\"%s\" \"%s\" %s", getenv("FB_STACK"), getenv("FB_STACK_DIR"),
	    cmd);
	return system(line);
}

void
stack_psql(const char *sql)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "psql -q -c \"%s\" >/dev/null", sql);
	ck_assert_int_eq(stack_cmd(cmd), 0);
}

int
nginx_connect(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	const char *base = getenv("FB_BASE");
	int fd;

	sa.sin_port = htons((uint16_t)atoi(strrchr(base, ':') + 1));
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

void
stack_set(const char *section, const char *name, const char *value)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd),
	    "sed -i '/^%s = /d' '%s/fluxbase.conf' && printf '[%s]\\n%s = %s\\n' >> '%s/fluxbase.conf'",
	    name, getenv("FB_STACK_DIR"), section, name, value, getenv("FB_STACK_DIR"));
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(kill(master_pid(), SIGHUP), 0);
	sleep_ms(1500);
}

pid_t
master_pid(void)
{
	char path[512];
	long pid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/run/fluxbase.pid", getenv("FB_STACK_DIR"));
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "no pid file %s", path);
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	/* Never hand 0 or -1 to kill(). */
	ck_assert_int_gt(pid, 1);
	return (pid_t)pid;
}

int
worker_pids(pid_t *out, int max)
{
	char path[128];
	pid_t m = master_pid();
	FILE *f;
	long pid;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children", (long)m, (long)m);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	while (n < max && fscanf(f, "%ld", &pid) == 1)
		out[n++] = (pid_t)pid;
	fclose(f);
	return n;
}

bool
pid_in(pid_t p, const pid_t *set, int n)
{
	for (int i = 0; i < n; i++)
		if (set[i] == p)
			return true;
	return false;
}

void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void
wait_for_socket(const char *path, pid_t pid)
{
	double t0 = now_s();
	struct stat st;

	while (stat(path, &st) != 0 || !S_ISSOCK(st.st_mode)) {
		ck_assert_msg(now_s() - t0 < 10, "no socket at %s", path);
		if (pid > 0)
			ck_assert_msg(waitpid(pid, NULL, WNOHANG) == 0, "process exited early");
		sleep_ms(50);
	}
	sleep_ms(300); /* let the workers start accepting */
}

double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct json_object *
json_body(const struct http_resp *r)
{
	struct json_object *o = json_tokener_parse(r->body);

	ck_assert_msg(o != NULL, "not JSON: %s", r->body);
	return o;
}

const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return "";
	return json_object_get_string(v);
}

/* Asserts a JSON error with the given status and code. */
void
assert_error(const struct http_resp *r, long status, const char *code)
{
	struct json_object *o;
	char *ct = http_header(r, "Content-Type");

	ck_assert_msg(r->status == status, "status %ld, wanted %ld: %s", r->status, status,
	    r->body);
	ck_assert_ptr_nonnull(ct);
	ck_assert_msg(strncmp(ct, "application/json", 16) == 0, "content type %s", ct);
	free(ct);
	o = json_body(r);
	ck_assert_str_eq(jstr(o, "code"), code);
	ck_assert_msg(jstr(o, "error")[0] != '\0', "no error sentence: %s", r->body);
	json_object_put(o);
}

long
get_status(const char *path)
{
	struct http_resp r;
	long st;

	http_do("GET", api_url(path), NULL, NULL, 0, &r);
	st = r.curl_error ? -1 : r.status;
	http_resp_free(&r);
	return st;
}

void
load_start(struct load *l, int procs, double seconds)
{
	l->n = procs;
	for (int i = 0; i < procs; i++) {
		int p[2];
		pid_t pid;

		ck_assert_int_eq(pipe(p), 0);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			int counts[2] = { 0, 0 };
			double end = now_s() + seconds;

			close(p[0]);
			while (now_s() < end) {
				long st = get_status("/health");

				counts[0]++;
				if (st != 200) {
					counts[1]++;
					fprintf(stderr, "load: status %ld\n", st);
				}
			}
			if (write(p[1], counts, sizeof(counts)) != sizeof(counts))
				_exit(1);
			_exit(0);
		}
		close(p[1]);
		l->pids[i] = pid;
		l->fds[i] = p[0];
	}
}

void
load_wait(struct load *l, int *total, int *failed)
{
	*total = *failed = 0;
	for (int i = 0; i < l->n; i++) {
		int counts[2] = { 0, 0 };

		ck_assert_int_eq(read(l->fds[i], counts, sizeof(counts)), (int)sizeof(counts));
		close(l->fds[i]);
		waitpid(l->pids[i], NULL, 0);
		*total += counts[0];
		*failed += counts[1];
	}
}

/* Whether a log holds needle; waits up to 3 s for it (lines the master
 * writes, such as a respawn, come a moment after the event). */
bool
log_contains(const char *needle)
{
	char path[512], line[4096];
	bool found = false;

	snprintf(path, sizeof(path), "%s/log/%s", getenv("FB_STACK_DIR"),
	    strstr(needle, " GET ") ? "access.log" : "fluxbase.log");
	for (int tries = 0; !found && tries < 60; tries++) {
		FILE *f = fopen(path, "r");

		if (tries > 0)
			sleep_ms(50);
		if (f == NULL)
			continue;
		while (!found && fgets(line, sizeof(line), f) != NULL)
			found = strstr(line, needle) != NULL;
		fclose(f);
	}
	return found;
}

void
mint_token(char *out, size_t n, const char *role, const char *sub)
{
	char cmd[1024];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "'%s' -c '%s/fluxbase.conf' token --role %s %s%s",
	    getenv("FLUXBASE_BIN"), getenv("FB_STACK_DIR"), role, sub ? "--sub " : "",
	    sub ? sub : "");
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(fgets(out, (int)n, p));
	out[strcspn(out, "\n")] = '\0';
	pclose(p);
}
