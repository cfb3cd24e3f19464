-- wrk script: POST /api/usage-events with batches of VAULTAI_BATCH events (default 100), each event new, spread
-- over the organizations of VAULTAI_ORGS_FILE (lines "<organization id> <token>"). Loopback only. See bench/README.md.
--
--   VAULTAI_ORGS_FILE=orgs.txt VAULTAI_BATCH=1000 wrk -t2 -c16 -d30s -s bench/wrk/usage-events.lua http://127.0.0.1:5090
--
-- As in usage-report.lua, thread_id is the global that thread:set assigns in each thread's state: never make it local.
local orgs = {}
local file = os.getenv("VAULTAI_ORGS_FILE") or error("set VAULTAI_ORGS_FILE")
for line in io.lines(file) do
  local id, token = line:match("^(%S+)%s+(%S+)$")
  if id then orgs[#orgs + 1] = { id, token } end
end
if #orgs == 0 then error("no organizations in " .. file) end

local batch = tonumber(os.getenv("VAULTAI_BATCH") or "100")
local run = os.getenv("VAULTAI_RUN") or tostring(os.time())
local counter = 0
local threads = {}
local started = 0
non2xx = 0

function setup(thread)
  thread:set("thread_id", started)
  started = started + 1
  threads[#threads + 1] = thread
end

function request()
  counter = counter + 1
  local tid = thread_id or 0
  local org = orgs[((counter + tid * 7919) % #orgs) + 1]
  local at = os.date("!%Y-%m-%dT%H:%M:%SZ")
  local events = {}
  for i = 1, batch do
    events[i] = string.format('{"id":"wrk-%s-%d-%d-%d","metric":"active_users","quantity":%d,"timestamp":"%s"}',
      run, tid, counter, i, 1 + (i % 500), at)
  end
  return wrk.format("POST", "/api/usage-events", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. org[2],
  }, '{"events":[' .. table.concat(events, ",") .. ']}')
end

function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

-- One machine-readable line: WRK,<requests>,<failed>,<seconds>,<p50 ms>,<p99 ms>
function done(summary, latency, requests)
  local failed = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  for _, t in ipairs(threads) do failed = failed + (t:get("non2xx") or 0) end
  io.write(string.format("WRK,%d,%d,%.3f,%.2f,%.2f\n", summary.requests, failed, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
