-- wrk -s random-paths.lua http://127.0.0.1:PORT -- PATHS_FILE
-- PATHS_FILE: one request path (with query, already base64url-encoded) per line.
-- Every request picks a uniformly random line. done() prints one summary line; non2xx counts non-2xx/3xx responses,
-- errors the socket errors (connect + read + write; timeouts are counted apart).
-- Headers given with wrk -H (e.g. Authorization) are sent too: wrk.format() with a table of its own would drop them.
local paths = {}
local headers = {}
local counter = 0

function setup(thread)            -- runs in the main Lua state, once per wrk thread
  counter = counter + 1
  thread:set("thread_id", counter)
end

function init(args)
  local file = args[1] or os.getenv("WRK_PATHS")
  for line in io.lines(file) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Accept"] = "application/json"
  math.randomseed(os.time() * 1000 + (thread_id or 0))  -- distinct sequence per wrk thread
end

function request()
  return wrk.format("GET", paths[math.random(#paths)], headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("p50_us=%d p99_us=%d requests=%d rps=%.1f non2xx=%d timeouts=%d errors=%d\n",
    latency:percentile(50), latency:percentile(99), summary.requests,
    summary.requests / (summary.duration / 1e6), e.status, e.timeout, e.connect + e.read + e.write))
end
