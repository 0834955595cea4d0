/*
 * check_config.h - fluxbase-fcgi check-config (check_config.c).
 */
#ifndef FLUXBASE_CHECK_CONFIG_H
#define FLUXBASE_CHECK_CONFIG_H

struct conf;

/* Checks the database login and its migrations, the directories the
 * workers write, the tables single mode will refuse and, with url (the
 * API's public base, ending in /api/v1), that Authorization reaches the
 * workers through the web server.  Each problem is one sentence on
 * stderr; 0 when there is none, 1 otherwise. */
int check_config(const struct conf *c, const char *url);

#endif
