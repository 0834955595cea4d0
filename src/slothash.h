/*
 * slothash.h - which slot of a fixed-size per-process cache a key takes.
 *
 * SipHash-2-4 (crypto_shorthash) under a random key made on first use, so
 * that a client cannot choose keys that crowd one slot; the slot is the
 * hash modulo the number of slots.  Each cache owns one zero-initialised
 * struct slothash: made after the fork, a worker's key is its own.
 */
#ifndef FLUXBASE_SLOTHASH_H
#define FLUXBASE_SLOTHASH_H

#include <stdbool.h>
#include <stddef.h>

#include <sodium.h>

struct slothash {
	unsigned char key[crypto_shorthash_KEYBYTES];
	bool keyed;
};

/* The slot, from 0 to nslots - 1, of the len bytes at data. */
size_t slothash_index(struct slothash *h, const void *data, size_t len, size_t nslots);

#endif
