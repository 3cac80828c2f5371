-- wrk script for bench/load.sh: POST a JSON body to /api/v1/diagnose.
-- BODY_FILE names a file holding the body (a realistic error), or BODY_BYTES
-- asks for a body of that many bytes (the oversized run). Prints one
-- `key=value` line per figure for load.sh to read.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  local file = os.getenv("BODY_FILE")
  local bytes = tonumber(os.getenv("BODY_BYTES") or "")
  if file then
    local f = assert(io.open(file, "rb"))
    wrk.body = f:read("*a")
    f:close()
  elseif bytes then
    wrk.body = '{"error": "' .. string.rep("x", bytes - 13) .. '"}'
  end
  statuses = {}
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    for code, n in pairs(s) do counts[code] = (counts[code] or 0) + n end
  end
  local e = summary.errors
  io.write(string.format("requests=%d\n", summary.requests))
  io.write(string.format("duration_s=%.2f\n", summary.duration / 1e6))
  io.write(string.format("rps=%.1f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("p50_ms=%.2f\n", latency:percentile(50) / 1000))
  io.write(string.format("p90_ms=%.2f\n", latency:percentile(90) / 1000))
  io.write(string.format("p99_ms=%.2f\n", latency:percentile(99) / 1000))
  io.write(string.format("max_ms=%.2f\n", latency.max / 1000))
  io.write(string.format("non2xx=%d\n", e.status))
  io.write(string.format("socket_errors=%d\n", e.connect + e.read + e.write + e.timeout))
  io.write(string.format("socket_errors_detail=connect:%d,read:%d,write:%d,timeout:%d\n", e.connect, e.read, e.write, e.timeout))
  local parts = {}
  for code, n in pairs(counts) do table.insert(parts, code .. ":" .. n) end
  table.sort(parts)
  io.write("statuses=" .. table.concat(parts, ",") .. "\n")
end
