# tests/lib/shared_hosting.sh - placeholder (helper B)
