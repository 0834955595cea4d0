/*
 * fuzz.h - what every libFuzzer target here shares: an invariant that
 * fails loudly (abort, so libFuzzer keeps the input as a crash), and the
 * input as a NUL-terminated string.
 */
#ifndef FLUXBASE_FUZZ_H
#define FLUXBASE_FUZZ_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond, ...) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "invariant failed: %s: ", #cond); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
			abort(); \
		} \
	} while (0)

/* The input as a C string (NUL bytes end it early, as they would in a
 * header or a FastCGI parameter); free() it. */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
