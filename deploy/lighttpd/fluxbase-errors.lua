-- deploy/lighttpd/fluxbase-errors.lua - lighttpd's own errors in the API's
-- JSON error shape, as nginx's error_page and Apache's ErrorDocument do for
-- them: {"error":"...","code":"..."}, Content-Type application/json.
--
-- Design: mod_magnet (Debian: lighttpd-modules-lua) runs this script at
-- response start (magnet.attract-response-start-to in fluxbase-*.conf) for
-- every response, after lighttpd has made its own error page (exactly
-- "text/html").  No other mechanism of lighttpd 1.4 does all of it:
-- server.errorfile-prefix files are typed by their name, which ends in
-- .html; server.error-handler serves one body for every status; neither
-- can add Retry-After nor turn a 500 or 504 into a 503.  This covers every
-- answer lighttpd makes itself:
--   * a request it cannot parse or refuses, before any condition of the
--     site applies (400, 411, 413, 417, 431, 501, 505; lighttpd counts the
--     request line in its header limit, so a URI too long is a 431);
--   * a path nothing serves (403, 404, the explorer's directory included);
--   * no pool to talk to: mod_fastcgi's 503 (socket missing or refusing,
--     every process down) and its 500 (no answer: the listen queue full,
--     where connect() fails with EAGAIN and lighttpd gives up after its
--     retries, or a worker that closed without answering) become 503
--     UNAVAILABLE with Retry-After: 1, as nginx's 502 does; a pool too slow
--     (504, with a read-timeout set) 503 OVERLOADED.  lighttpd makes no
--     other 500 for this site.
-- What the pool answers itself passes untouched: its errors are JSON (with
-- their own Retry-After where due), its other answers are below 400.  Only
-- an error with lighttpd's "text/html" or with no Content-Type at all is
-- replaced.
--
-- Install: cp deploy/lighttpd/fluxbase-errors.lua /etc/lighttpd/ and name
-- it in the site's @ERRORS_SCRIPT@.  lighttpd reloads it when it changes.

local r = lighty.r
local status = r.req_item.http_status
if status < 400 then
  return 0
end
local ctype = r.resp_header["Content-Type"]
if ctype ~= nil and ctype ~= "" and ctype ~= "text/html" then
  return 0
end

local unavailable = { 503, "UNAVAILABLE",
  "The API cannot take the request now (busy or restarting); retry shortly" }
local errors = {
  [400] = { 400, "INVALID_REQUEST", "Malformed request" },
  [403] = { 403, "FORBIDDEN", "Forbidden" },
  [404] = { 404, "NOT_FOUND", "Not found" },
  [405] = { 405, "METHOD_NOT_ALLOWED", "Method not allowed" },
  [408] = { 408, "REQUEST_TIMEOUT", "The request took too long to arrive" },
  [411] = { 411, "LENGTH_REQUIRED", "A request body needs a Content-Length" },
  [413] = { 413, "PAYLOAD_TOO_LARGE", "The request body is too large" },
  [414] = { 414, "URI_TOO_LONG", "The request URI is too long" },
  [416] = { 416, "RANGE_NOT_SATISFIABLE", "The range cannot be satisfied" },
  [417] = { 417, "EXPECTATION_FAILED", "The Expect header cannot be met" },
  [431] = { 431, "HEADERS_TOO_LARGE", "The request headers are too large" },
  [500] = unavailable,
  [501] = { 501, "NOT_IMPLEMENTED", "Not implemented" },
  [502] = unavailable,
  [503] = unavailable,
  [504] = { 503, "OVERLOADED", "The API is overloaded; retry shortly" },
  [505] = { 505, "HTTP_VERSION_NOT_SUPPORTED", "HTTP version not supported" },
}
local e = errors[status]
if e == nil then
  if status < 500 then
    e = { status, "INVALID_REQUEST", "The request was refused" }
  else
    e = { status, "INTERNAL_ERROR", "Internal server error" }
  end
end

r.resp_header["Content-Type"] = "application/json"
if e[1] == 503 then
  r.resp_header["Retry-After"] = "1"
end
r.resp_body.set('{"error":"' .. e[3] .. '","code":"' .. e[2] .. '"}\n')
-- The status (502 and 504 become 503); the body is complete.
return e[1]
