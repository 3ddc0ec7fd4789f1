-- wrk script: every request takes the next path from the file $WRK_PATHS (one path per line),
-- each thread starting at a different place, so a response cache sees distinct URLs; prints
-- the same one-line report as wrk-report.lua (latencies in ms).
local threads = 0

setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

init = function(args)
  paths = {}
  for line in io.lines(os.getenv("WRK_PATHS")) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  i = ((tid or 1) - 1) * math.floor(#paths / 2)
end

request = function()
  i = i % #paths + 1
  return wrk.format(nil, paths[i])
end

done = function(summary, latency, requests)
  local s = summary.duration / 1e6
  local e = summary.errors
  local errs = e.connect + e.read + e.write + e.timeout
  local n = summary.requests
  io.write(string.format(
    "WRK rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f requests=%d sock_errors=%d non2xx=%d bytes_per_resp=%d measured_s=%.1f\n",
    n / s, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, n, errs, e.status,
    n > 0 and math.floor(summary.bytes / n) or 0, s))
end
