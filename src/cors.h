/*
 * cors.h - cross-origin headers for browser apps.
 */
#ifndef FLUXBASE_CORS_H
#define FLUXBASE_CORS_H

#include <stdbool.h>

struct request;

/* Whether origin is in the comma-separated allow list ("*" allows all). */
bool cors_origin_allowed(const char *allow_list, const char *origin);
/* Adds Access-Control-* and Vary headers; preflight adds the method and
 * header lists and max age. */
void cors_apply(struct request *r, bool preflight);

#endif
