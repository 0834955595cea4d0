/*
 * auth/gotrue_admin.c - (placeholder: being written).
 */
#include "config.h"
