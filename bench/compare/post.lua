-- wrk script for bench/compare.sh: POST a JSON body (BODY_FILE, default: the generate request for
-- "Show me billing details for customer CUST-001") and print one WRK_JSON summary line.
local body = '{"messages":[{"role":"user","content":"Show me billing details for customer CUST-001"}]}'
local f = os.getenv("BODY_FILE")
if f and f ~= "" then
  local h = assert(io.open(f, "rb"))
  body = h:read("*a")
  h:close()
end
wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"

done = function(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"seconds":%.3f,"rps":%.2f,"p50_ms":%.2f,"p99_ms":%.2f,"max_ms":%.2f,' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d,"bytes":%d}\n',
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.connect, e.read, e.write, e.status, e.timeout, summary.bytes))
end
