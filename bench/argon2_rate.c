/*
 * bench/argon2_rate.c - the Argon2id verification rate of this machine
 * with every core verifying at once: one process per core, each running
 * the same number of crypto_pwhash_str_verify calls, timed from the first
 * start to the last end.  Verifications side by side share the memory
 * bandwidth of their 64 MiB blocks and the kernel's page-fault locks, so
 * this is what the cores really allow; one timed verification multiplied
 * by the cores overstates it (by 4-10 % on the 2-core machine of
 * bench/README.md).
 * Usage: argon2_rate OPSLIMIT MEMLIMIT_BYTES; prints verifications per second.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	char hash[crypto_pwhash_STRBYTES];
	const int rounds = 8;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int failed = 0;
	double start;

	if (argc != 3 || sodium_init() < 0 || cores < 1)
		return 2;
	if (crypto_pwhash_str(hash, "bench password", 14, strtoull(argv[1], NULL, 10),
	        strtoull(argv[2], NULL, 10)) != 0)
		return 1;
	start = now();
	for (long c = 0; c < cores; c++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid == 0) {
			for (int i = 0; i < rounds; i++)
				if (crypto_pwhash_str_verify(hash, "bench password", 14) != 0)
					_exit(1);
			_exit(0);
		}
	}
	for (long c = 0; c < cores; c++) {
		int st;

		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failed = 1;
	}
	if (failed)
		return 1;
	printf("%.1f\n", (double)(cores * rounds) / (now() - start));
	return 0;
}
