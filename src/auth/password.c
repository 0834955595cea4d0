/*
 * auth/password.c - hashing, verification and the dummy verification that
 * makes "no such account" cost as much as "wrong password".
 *
 * Every Argon2id computation in a worker passes the pool's hashing gate:
 * at most [auth] hash_concurrency of them at once (the cores by default),
 * the other workers with a password to hash wait their turn.  More at once
 * than there are cores gets no more done (they share the cores, and each
 * one's 64 MiB fights the others' for caches and page-fault locks: 4
 * workers hashing on 2 cores signed in about 7 % fewer per second than 2),
 * and the pool's memory for hashes is bounded by the gate, not by the
 * workers.  A slot is one byte of a memory file held with a record lock
 * (fcntl), which is the kernel's to release when its holder dies: a worker
 * killed in the middle of a hash never leaves its slot taken.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "auth/password.h"
#include "conf.h"
#include "log.h"

static int gate_fd = -1; /* made by the master, inherited */
static int gate_slots; /* set by the master for each generation */
static bool gate_joined; /* in a worker */

int
password_gate_setup(const struct conf *c)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	if (gate_fd < 0 && (gate_fd = memfd_create("fluxbase-hash-gate", MFD_CLOEXEC)) < 0) {
		log_warn("%s: memfd_create: %m; password hashes do not take turns", __func__);
		return -1;
	}
	gate_slots = c->hash_concurrency > 0 ? c->hash_concurrency : cores > 0 ? (int)cores : 1;
	return 0;
}

void
password_gate_join(void)
{
	gate_joined = gate_fd >= 0;
}

static int
gate_lock(int slot, short type, int cmd)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = slot, .l_len = 1 };

	return fcntl(gate_fd, cmd, &fl);
}

/* A slot taken (its number), or -1 to go on without one: outside a pool,
 * or when the lock fails for a reason other than a signal. */
static int
gate_enter(void)
{
	int slot;

	if (!gate_joined)
		return -1;
	for (slot = 0; slot < gate_slots; slot++)
		if (gate_lock(slot, F_WRLCK, F_SETLK) == 0)
			return slot;
	/* All taken: wait for one of them (a waiter holds no slot, so the
	 * waits can never form a cycle). */
	slot = (int)(getpid() % gate_slots);
	while (gate_lock(slot, F_WRLCK, F_SETLKW) < 0)
		if (errno != EINTR)
			return -1;
	return slot;
}

static void
gate_leave(int slot)
{
	if (slot >= 0)
		(void)gate_lock(slot, F_UNLCK, F_SETLK);
}

int
password_hash(const struct conf *c, const char *pw, size_t len, char out[crypto_pwhash_STRBYTES])
{
	int slot = gate_enter();
	int rc = crypto_pwhash_str(out, pw, len, (unsigned long long)c->password_ops_limit,
	    c->password_mem_limit);

	gate_leave(slot);
	if (rc != 0) {
		log_err("%s: out of memory for Argon2id (%zu bytes)", __func__,
		    c->password_mem_limit);
		return -1;
	}
	return 0;
}

int
password_verify(const char *hash, const char *pw, size_t len)
{
	int slot, rc;

	if (hash == NULL ||
	    strncmp(hash, crypto_pwhash_STRPREFIX, strlen(crypto_pwhash_STRPREFIX)) != 0)
		return -1;
	slot = gate_enter();
	rc = crypto_pwhash_str_verify(hash, pw, len);
	gate_leave(slot);
	return rc == 0 ? 0 : -1;
}

bool
password_needs_rehash(const struct conf *c, const char *hash)
{
	return crypto_pwhash_str_needs_rehash(hash, (unsigned long long)c->password_ops_limit,
	           c->password_mem_limit) != 0;
}

static char dummy[crypto_pwhash_STRBYTES];
static int dummy_ops;
static size_t dummy_mem;

void
password_dummy_prepare(const struct conf *c)
{
	unsigned char junk[32];
	char pass[65];

	if (dummy[0] != '\0' && dummy_ops == c->password_ops_limit &&
	    dummy_mem == c->password_mem_limit)
		return;
	randombytes_buf(junk, sizeof(junk));
	sodium_bin2hex(pass, sizeof(pass), junk, sizeof(junk));
	if (password_hash(c, pass, strlen(pass), dummy) < 0) {
		dummy[0] = '\0';
		return;
	}
	dummy_ops = c->password_ops_limit;
	dummy_mem = c->password_mem_limit;
}

void
password_dummy_verify(const struct conf *c, const char *pw, size_t len)
{
	/* Normally made by the master before the workers fork, so the first
	 * unknown email a worker sees costs no more than the next one. */
	password_dummy_prepare(c);
	(void)password_verify(dummy, pw, len);
}

const char *
password_check_strength(const struct conf *c, const char *pw, size_t len)
{
	size_t chars = 0;

	if (len > PASSWORD_MAX_BYTES)
		return "The password is longer than 1024 bytes";
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)pw[i] & 0xC0) != 0x80)
			chars++;
	if (chars < (size_t)c->password_min_length)
		return "The password is too short";
	return NULL;
}
