/*
 * openapi/supabase.c - (placeholder: being written).
 */
#include "config.h"
