-- bench/run.py's script for wrk: one page, with a persona's cookies, latency percentiles out.
--   BENCH_COOKIE="sessionid=…; csrftoken=…" wrk -t2 -c50 -d5s -s bench/wrk.lua http://127.0.0.1:PORT/actions/
-- Prints one line: JSON{"requests":…, "seconds":…, "p50_ms":…, "p95_ms":…, "max_ms":…,
-- "errors":…}. Errors are connection errors, timeouts and answers other than 2xx/3xx.

wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
wrk.headers["Accept-Language"] = "zh-hans"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'JSON{"requests":%d,"seconds":%.3f,"p50_ms":%.2f,"p95_ms":%.2f,"max_ms":%.2f,"errors":%d}\n',
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency.max / 1000,
    e.connect + e.read + e.write + e.timeout + e.status))
end
