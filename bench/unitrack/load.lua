-- wrk script for bench/unitrack/run.py: one thread per user, one keep-alive connection per thread.
-- Env: BENCH_TOKENS (file, one token per line), BENCH_METHOD (GET/POST), BENCH_PATH, BENCH_BODY (file).
-- Each thread counts its 2xx / non-2xx responses; done() prints one JSON line the runner parses, so
-- the runner can check "every acknowledged request has its row" per user.
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do
  if #line > 0 then tokens[#tokens + 1] = line end
end
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("token", tokens[((counter - 1) % #tokens) + 1])
  thread:set("user_index", (counter - 1) % #tokens)
  threads[#threads + 1] = thread
end

function init(args)
  ok, bad = 0, 0
  local body = nil
  local body_file = os.getenv("BENCH_BODY")
  if body_file and #body_file > 0 then
    local f = io.open(body_file, "rb"); body = f:read("*a"); f:close()
  end
  local headers = { ["Authorization"] = "Bearer " .. token }
  if body then headers["Content-Type"] = "application/json" end
  req = wrk.format(os.getenv("BENCH_METHOD") or "GET", os.getenv("BENCH_PATH"), headers, body)
end

function request() return req end

function response(status, headers, body)
  if status >= 200 and status < 300 then ok = ok + 1 else bad = bad + 1 end
end

function done(summary, latency, requests)
  local per_user = {}
  for _, t in ipairs(threads) do
    per_user[#per_user + 1] = string.format('{"user_index":%d,"ok":%d,"bad":%d}',
      t:get("user_index"), t:get("ok"), t:get("bad"))
  end
  local p = {}
  for _, q in ipairs({50, 90, 99, 99.9}) do p[#p + 1] = latency:percentile(q) end
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d,"mean_us":%.1f,"per_user":[%s]}\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout, p[1], p[2], p[3], p[4], latency.max, latency.mean,
    table.concat(per_user, ",")))
end
