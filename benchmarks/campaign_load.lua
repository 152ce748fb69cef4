-- Mixed reads and writes against a running campaign server, for wrk (benchmarks/campaign_load.py).
-- Run with as many threads as connections (one connection per thread), so that each
-- response is paired with the request this thread sent last.
-- Environment: GC_TOKEN (an admin API token), GC_CASES (comma-separated case ids),
-- GC_LON / GC_LAT (a point inside the city).
-- Weights: list 5, read 4, Open311 list 1, public map 1, file a case 2, comment 2
-- (a comment first reads the case for its version: optimistic locking; a 409 means another
-- client commented first and is counted apart, not as an error).

local token = os.getenv("GC_TOKEN")
local lon0 = tonumber(os.getenv("GC_LON"))
local lat0 = tonumber(os.getenv("GC_LAT"))
local cases = {}
for id in string.gmatch(os.getenv("GC_CASES"), "[^,]+") do
  cases[#cases + 1] = id
end

local auth = { ["Authorization"] = "Bearer " .. token }
local json_auth = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
local plan = { "list", "list", "list", "list", "list", "read", "read", "read", "read",
               "open311", "map", "file", "file", "comment", "comment" }
local categories = { "weeds", "bare_soil", "damaged_facility" }
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  threads[#threads + 1] = thread
end

function init(args)
  math.randomseed(os.time() + id * 7919)
  counts = {}
  pending = nil      -- a comment waiting for the version of case `pending`
  comment_case = nil
  last = nil
end

local function count(key)
  counts[key] = (counts[key] or 0) + 1
end

function request()
  if pending ~= nil then
    local case, version = pending[1], pending[2]
    pending = nil
    last = "comment"
    local body = string.format('{"version": %s, "reason": "督办"}', version)
    return wrk.format("POST", "/api/v1/cases/" .. case .. "/actions/comment", json_auth, body)
  end
  local op = plan[math.random(#plan)]
  last = op
  if op == "list" then
    return wrk.format("GET", "/api/v1/cases?per_page=20", auth)
  elseif op == "read" or op == "comment" then
    local case = cases[math.random(#cases)]
    if op == "comment" then comment_case = case; last = "comment_read" end
    return wrk.format("GET", "/api/v1/cases/" .. case, auth)
  elseif op == "open311" then
    return wrk.format("GET", "/open311/v2/requests.json?page_size=50")
  elseif op == "map" then
    return wrk.format("GET", "/api/v1/public/cases.geojson?limit=200")
  else
    local body = string.format(
      '{"category": "%s", "lon": %.6f, "lat": %.6f, "description": "压测"}',
      categories[math.random(#categories)],
      lon0 + (math.random() - 0.5) * 0.01, lat0 + (math.random() - 0.5) * 0.01)
    return wrk.format("POST", "/api/v1/cases", json_auth, body)
  end
end

function response(status, headers, body)
  count(last .. " " .. status)
  if last == "comment_read" and status == 200 then
    local version = string.match(body, '"version":%s*(%d+)')
    if version then pending = { comment_case, version } end
  end
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    for key, n in pairs(thread:get("counts")) do
      merged[key] = (merged[key] or 0) + n
    end
  end
  local parts = {}
  for key, n in pairs(merged) do
    parts[#parts + 1] = string.format('"%s": %d', key, n)
  end
  local e = summary.errors
  io.write(string.format(
    '\nRESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "socket_errors": %d, "by_status": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect + e.read + e.write + e.timeout,
    table.concat(parts, ", ")))
end
