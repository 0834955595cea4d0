/*
 * storage/mime.h - the content type of an upload, and how to serve it.
 *
 * An upload's Content-Type is parsed as one media type (RFC 9110 8.3.1):
 * type "/" subtype, then parameters; a list, a missing subtype, a stray
 * character or a parameter that is not name=value is refused.  What is
 * stored and served back is the canonical form that was checked: type and
 * subtype in lower case and, of the parameters, only a charset.
 *
 * Serving: whatever the type, the answer says nosniff.  Types a browser
 * would render as a document or run (HTML, SVG, XML, JavaScript, anything
 * not on the safe list below) go out as an attachment inside a sandbox
 * (CSP default-src 'none'; sandbox) unless the bucket allows active
 * content.
 */
#ifndef FLUXBASE_STORAGE_MIME_H
#define FLUXBASE_STORAGE_MIME_H

#include <stdbool.h>
#include <stddef.h>

#define MIME_MAX 255

/* 0 and the canonical type in out, or -1 when header is not one type. */
int mime_parse(const char *header, char out[MIME_MAX + 1]);
/* A canonical type against a bucket's allowed_mime_types (a JSON array
 * of types and "type/\*" patterns; NULL allows all). */
bool mime_allowed(const char *allowed_json, const char *type);
/* A browser shows a canonical type of the safe list without running it. */
bool mime_is_passive(const char *type);

#endif
