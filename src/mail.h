/*
 * mail.h - sending a message: to a mail directory (one .eml file per
 * message) or through SMTP (libcurl).  Addresses reaching here are
 * validated (no CR or LF can get into a header).
 */
#ifndef FLUXBASE_MAIL_H
#define FLUXBASE_MAIL_H

#include <stddef.h>

struct conf;

/* text, and html when not NULL (then multipart/alternative): 0 or -1. */
int mail_send(const struct conf *c, const char *to, const char *subject, const char *text,
    const char *html);
/* The same work as sending a message, for nobody: formatted and, for the
 * dir transport, written and removed (timing of an address that gets no
 * mail; SMTP's delivery time is not rehearsed). */
void mail_rehearse(const struct conf *c, const char *subject, const char *text, const char *html);

#endif
