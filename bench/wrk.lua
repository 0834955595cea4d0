-- One wrk script for every scenario: arguments after "--" are
--   scenario (s1 s2 s3 s4 s8 get), path prefix, bearer token (or "-"),
--   and for s3 the owner's UUID.
-- At the end it prints one JSON line: requests/s, p50 and p99 in ms, and
-- the count of non-2xx answers and socket errors.
local scenario, prefix, token, owner, body

function init(args)
  scenario, prefix, token, owner = args[1], args[2], args[3], args[4]
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

function request()
  local headers = { ["Content-Type"] = "application/json" }
  if token and token ~= "-" then
    headers["Authorization"] = "Bearer " .. token
  end
  if scenario == "s1" then
    return wrk.format("GET", prefix .. "/" .. math.random(1, 100000), headers)
  elseif scenario == "s2" then
    return wrk.format("GET", prefix .. "?status.eq=active&order=id.asc&limit=20", headers)
  elseif scenario == "s3" then
    body = '{"owner":"' .. owner .. '","status":"new","title":"bench ' .. math.random(1, 1e9) .. '"}'
    return wrk.format("POST", prefix, headers, body)
  elseif scenario == "s8" then
    return wrk.format("GET", prefix ..
      "?select=id,title,author:users(name),comments(id,body)&order=id.desc&limit=20", headers)
  elseif scenario == "s4" then
    return wrk.format("POST", prefix, headers,
      '{"email":"bench@example.com","password":"bench password 1"}')
  else
    return wrk.format("GET", prefix, headers)
  end
end

function done(summary, latency, requests)
  local errs = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout + summary.errors.status
  io.write(string.format('{"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"requests":%d,"errors":%d,'
    .. '"non_2xx":%d,"timeouts":%d}\n',
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.requests, errs, summary.errors.status,
    summary.errors.timeout))
end
