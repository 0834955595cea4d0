/*
 * conf_keys.h - the table of every configuration key (conf_keys.c), shared
 * by the parser (conf.c) and nothing else.
 */
#ifndef FLUXBASE_CONF_KEYS_H
#define FLUXBASE_CONF_KEYS_H

#include <stddef.h>

enum conf_type { T_STRING, T_INT, T_LONG, T_SIZE, T_BOOL, T_MODE, T_LEVEL, T_SECRET, T_CHOICE };

struct conf_key {
	const char *section;
	const char *key;
	enum conf_type type;
	size_t offset;
	const char *def;
	long min, max;
};

/* The values a T_CHOICE key takes, "a|b|c". */
struct conf_choice {
	const char *section, *key, *choices;
};

extern const struct conf_key conf_keys[];
extern const size_t conf_nkeys;
extern const struct conf_choice conf_choices[];
extern const size_t conf_nchoices;

#endif
