/*
 * auth/gotrue.h - what the /auth/v1 files share (placeholder).
 */
#ifndef FLUXBASE_AUTH_GOTRUE_H
#define FLUXBASE_AUTH_GOTRUE_H
#endif
