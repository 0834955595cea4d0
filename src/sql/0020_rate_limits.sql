-- 0020: rate-limit counters kept in PostgreSQL ([auth] rate_limit_store = database). Placeholder.
SELECT 1;
