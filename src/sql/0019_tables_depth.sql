-- 0019: helpers of the tables API's depth (CSV, max-affected). Placeholder.
SELECT 1;
