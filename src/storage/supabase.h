/*
 * storage/supabase.h - what the /storage/v1 files share (placeholder).
 */
#ifndef FLUXBASE_STORAGE_SUPABASE_H
#define FLUXBASE_STORAGE_SUPABASE_H
#endif
