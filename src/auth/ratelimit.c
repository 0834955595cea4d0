/*
 * auth/ratelimit.c - the two stores of auth/ratelimit.h.  In memory: open
 * addressing over a fixed table, a spin lock held for a few instructions.
 * In PostgreSQL: one call of fluxbase.rate_limit_hit() (migration 0020),
 * which upserts the window's row and sweeps a few expired ones.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <sodium.h>

#include "auth/ratelimit.h"
#include "auth/reply.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "session.h"

#define PROBES 8
#define RATELIMIT_SLOTS 4096
/* What fluxbase.rate_limit_hit() takes: the longest e-mail address (254
 * bytes) or client address fits. */
#define RATELIMIT_KEY_MAX 320

struct rl_slot {
	uint64_t key;
	uint32_t window; /* window number: time / window length */
	uint32_t count;
};

struct ratelimit {
	int lock;
	unsigned char hash_key[16]; /* SipHash key: addresses cannot be chosen to collide */
	struct rl_slot slots[RATELIMIT_SLOTS];
};

static struct ratelimit *shared;

int
ratelimit_setup(void)
{
	struct ratelimit *rl =
	    mmap(NULL, sizeof(*rl), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (rl == MAP_FAILED) {
		log_err("%s: mmap: %m", __func__);
		return -1;
	}
	/* Zeroed by mmap: the slots are empty. */
	randombytes_buf(rl->hash_key, sizeof(rl->hash_key));
	ratelimit_teardown();
	shared = rl;
	return 0;
}

void
ratelimit_teardown(void)
{
	if (shared != NULL)
		munmap(shared, sizeof(*shared));
	shared = NULL;
}

int
ratelimit_hit(const char *action, const char *address, int limit, int window_s)
{
	struct ratelimit *rl;
	unsigned char msg[256], out[crypto_shorthash_BYTES];
	uint32_t now = (uint32_t)time(NULL), window = now / (uint32_t)window_s;
	size_t alen = strlen(action), dlen = strlen(address);
	struct rl_slot *slot = NULL, *empty = NULL, *oldest = NULL;
	uint64_t key;
	int wait = 0;

	if (limit <= 0)
		return 0;
	if (shared == NULL && ratelimit_setup() < 0)
		return 0;
	rl = shared;
	if (alen + dlen + 1 > sizeof(msg))
		dlen = sizeof(msg) - alen - 1;
	memcpy(msg, action, alen);
	msg[alen] = 0;
	memcpy(msg + alen + 1, address, dlen);
	crypto_shorthash(out, msg, alen + 1 + dlen, rl->hash_key);
	memcpy(&key, out, sizeof(key));
	if (key == 0)
		key = 1;

	while (__atomic_test_and_set(&rl->lock, __ATOMIC_ACQUIRE))
		;
	for (int i = 0; i < PROBES; i++) {
		struct rl_slot *s = &rl->slots[(key + (uint64_t)i) % RATELIMIT_SLOTS];

		if (s->key == key) {
			slot = s;
			break;
		}
		if (s->key == 0) {
			if (empty == NULL)
				empty = s;
		} else if (oldest == NULL || s->window < oldest->window) {
			oldest = s;
		}
	}
	if (slot == NULL) {
		/* A free slot, or else the one idle the longest. */
		slot = empty != NULL ? empty : oldest;
		slot->key = key;
		slot->window = window;
		slot->count = 0;
	}
	if (slot->window != window) {
		slot->window = window;
		slot->count = 0;
	}
	if (slot->count >= (uint32_t)limit)
		wait = (int)((window + 1) * (uint32_t)window_s - now);
	else
		slot->count++;
	__atomic_clear(&rl->lock, __ATOMIC_RELEASE);
	return wait;
}

int
ratelimit_hit_db(struct request *r, const char *action, const char *key, int limit, int window_s)
{
	const char *values[4];
	struct db_result *res;
	const char *wait;

	if (limit <= 0)
		return 0;
	/* Keys are bounded where they come from; the table never holds more. */
	if (strlen(key) > RATELIMIT_KEY_MAX)
		return response_error(r, 400, "VALIDATION", "The address is longer than %d bytes",
		    RATELIMIT_KEY_MAX);
	values[0] = action;
	values[1] = key;
	values[2] = arena_printf(r->arena, "%d", limit);
	values[3] = arena_printf(r->arena, "%d", window_s);
	res = session_exec_as(r, AUTH_ROLE,
	    "SELECT fluxbase.rate_limit_hit($1, $2, $3::int, $4::int)", 4, values, false);
	if (res == NULL)
		return -1;
	wait = db_result_rows(res) == 1 ? db_result_value(res, 0, 0) : NULL;
	if (wait == NULL) {
		log_err("%s: no answer from fluxbase.rate_limit_hit (request %s)", __func__,
		    r->request_id);
		return response_internal(r);
	}
	return atoi(wait);
}
