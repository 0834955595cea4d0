/*
 * auth/ratelimit.c - open addressing over a fixed table, a spin lock held
 * for a few instructions.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include <sodium.h>

#include "auth/ratelimit.h"

#define PROBES 8

void
ratelimit_init(struct ratelimit *rl)
{
	memset(rl, 0, sizeof(*rl));
	randombytes_buf(rl->hash_key, sizeof(rl->hash_key));
}

int
ratelimit_hit(struct ratelimit *rl, const char *action, const char *address, int limit,
    int window_s)
{
	unsigned char msg[256], out[crypto_shorthash_BYTES];
	uint32_t now = (uint32_t)time(NULL), window = now / (uint32_t)window_s;
	size_t alen = strlen(action), dlen = strlen(address);
	struct rl_slot *slot = NULL, *empty = NULL, *oldest = NULL;
	uint64_t key;
	int wait = 0;

	if (limit <= 0)
		return 0;
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
