-- wrk script: POST /api/usage-report with a fresh Idempotency-Key per request, except every 10th request, which
-- repeats the previous key (it must answer duplicate=true): about 90 % of the requests are new reports.
-- Loopback only. See bench/README.md.
--
--   Many organizations:  VAULTAI_ORGS_FILE=orgs.txt                     (lines "<organization id> <token>")
--   One organization:    VAULTAI_ORG_ID=<uuid> VAULTAI_ORG_TOKEN=<billing_token>
--   Optional:            VAULTAI_RUN=<text>  makes keys unique across runs against the same database
--                        VAULTAI_REPEAT_EVERY=<n>  every n-th request repeats the previous key (default 10; 0: never)
--
--   wrk -t2 -c16 -d30s -s bench/wrk/usage-report.lua http://127.0.0.1:5090
--
-- Each wrk thread runs this file in its own Lua state. setup() runs in the main state and gives each thread its
-- number through thread:set("thread_id", ...), which assigns the GLOBAL thread_id of that thread's state. It must
-- stay a global: a "local thread_id" here would hide it, and every thread would send the same keys.
local orgs = {}
local file = os.getenv("VAULTAI_ORGS_FILE")
if file then
  for line in io.lines(file) do
    local id, token = line:match("^(%S+)%s+(%S+)$")
    if id then orgs[#orgs + 1] = { id, token } end
  end
else
  orgs[1] = { os.getenv("VAULTAI_ORG_ID") or error("set VAULTAI_ORGS_FILE or VAULTAI_ORG_ID"),
              os.getenv("VAULTAI_ORG_TOKEN") or error("set VAULTAI_ORG_TOKEN") }
end
if #orgs == 0 then error("no organizations in " .. file) end

local run = os.getenv("VAULTAI_RUN") or tostring(os.time())
local repeat_every = tonumber(os.getenv("VAULTAI_REPEAT_EVERY") or "10")
local counter = 0
local threads = {}
local started = 0
non2xx = 0 -- global: read from done() through thread:get

function setup(thread)
  thread:set("thread_id", started)
  started = started + 1
  threads[#threads + 1] = thread
end

function request()
  counter = counter + 1
  local n = counter
  if repeat_every > 0 and n % repeat_every == 0 then n = n - 1 end -- repeats the previous key (same organization too)
  local tid = thread_id or 0
  local org = orgs[((n + tid * 7919) % #orgs) + 1]
  local key = string.format("wrk-%s-%d-%d", run, tid, n)
  local body = string.format('{"organization_id":"%s","user_count":%d,"timestamp":"%s"}',
    org[1], 1 + (n % 500), os.date("!%Y-%m-%dT%H:%M:%SZ"))
  return wrk.format("POST", "/api/usage-report", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. org[2],
    ["Idempotency-Key"] = key,
  }, body)
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
