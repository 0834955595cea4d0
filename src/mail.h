/*
 * mail.h - sending a message: to a mail directory (one .eml file per
 * message) or through SMTP (libcurl).  Addresses reaching here are
 * validated (no CR or LF can get into a header).
 */
#ifndef FLUXBASE_MAIL_H
#define FLUXBASE_MAIL_H

#include <stddef.h>

struct conf;

int mail_send(const struct conf *c, const char *to, const char *subject, const char *text);

#endif
