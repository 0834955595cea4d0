/*
 * slothash.c - the keyed slot hash of the per-worker caches (verified
 * tokens, public objects' metadata); see slothash.h.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "slothash.h"

size_t
slothash_index(struct slothash *h, const void *data, size_t len, size_t nslots)
{
	unsigned char out[crypto_shorthash_BYTES];
	uint64_t k;

	if (!h->keyed) {
		randombytes_buf(h->key, sizeof(h->key));
		h->keyed = true;
	}
	crypto_shorthash(out, data, len, h->key);
	memcpy(&k, out, sizeof(k));
	return (size_t)(k % nslots);
}
