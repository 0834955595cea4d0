/*
 * text.h - byte-level checks of text, below every other module: the
 * logs use them to keep lines valid, the handlers to refuse bad names.
 * No dependency of its own.
 */
#ifndef FLUXBASE_TEXT_H
#define FLUXBASE_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Well-formed UTF-8: no overlong form, no surrogate, nothing past U+10FFFF. */
bool utf8_is_valid(const char *s, size_t n);

#endif
