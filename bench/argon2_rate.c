/*
 * bench/argon2_rate.c - the Argon2id verification rate of this machine:
 * cores / the time of one crypto_pwhash_str_verify, with the given cost.
 * Usage: argon2_rate OPSLIMIT MEMLIMIT_BYTES; prints verifications per second.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

int
main(int argc, char **argv)
{
	char hash[crypto_pwhash_STRBYTES];
	struct timespec a, b;
	const int rounds = 10;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	double each;

	if (argc != 3 || sodium_init() < 0)
		return 2;
	if (crypto_pwhash_str(hash, "bench password", 14, strtoull(argv[1], NULL, 10),
	        strtoull(argv[2], NULL, 10)) != 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < rounds; i++)
		if (crypto_pwhash_str_verify(hash, "bench password", 14) != 0)
			return 1;
	clock_gettime(CLOCK_MONOTONIC, &b);
	each = ((double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9) / rounds;
	printf("%.1f\n", (double)cores / each);
	return 0;
}
