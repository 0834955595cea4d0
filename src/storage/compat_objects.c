/*
 * storage/compat_objects.c - (placeholder: being written).
 */
#include "config.h"
