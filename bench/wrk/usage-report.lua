-- wrk script: POST /api/usage-report with a fresh Idempotency-Key per request (and a retry of the previous key
-- every 10th request, which must answer duplicate=true). Loopback only. See bench/README.md.
--
--   VAULTAI_ORG_ID=<uuid> VAULTAI_ORG_TOKEN=<billing_token> \
--     wrk -t2 -c16 -d30s -s bench/wrk/usage-report.lua http://127.0.0.1:5080
local org = os.getenv("VAULTAI_ORG_ID") or error("set VAULTAI_ORG_ID")
local token = os.getenv("VAULTAI_ORG_TOKEN") or error("set VAULTAI_ORG_TOKEN")
local counter = 0
local thread_id = 0
local statuses = {}

function setup(thread)
  thread:set("thread_id", thread_id)
  thread_id = thread_id + 1
end

function request()
  counter = counter + 1
  local n = counter
  if n % 10 == 0 then n = n - 1 end -- every 10th request repeats the previous key
  local key = string.format("wrk-%d-%d-%d", thread_id, os.time(), n)
  local body = string.format(
    '{"organization_id":"%s","user_count":%d,"timestamp":"%s"}',
    org, 1 + (n % 500), os.date("!%Y-%m-%dT%H:%M:%SZ"))
  return wrk.format("POST", "/api/usage-report", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
    ["Idempotency-Key"] = key,
  }, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  io.write(string.format("p50 %.2f ms, p95 %.2f ms, p99 %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
