-- wrk script: send pre-built raw HTTP requests loaded from one file per thread.
--
-- Environment:
--   BENCH_POOL_PREFIX  requests for thread N are in "<prefix>.<N>" as "<length>\n<bytes>" records
--   BENCH_POOL_MODE    "once": send each request once; "cycle": wrap around (bare endpoint only)
--
-- In "once" mode a thread whose pool is used up keeps its connections busy with cheap
-- GETs of a path every app answers 404, instead of leaving them open and silent: a
-- gunicorn sync worker that accepts a silent connection blocks on it until its timeout.
-- When all of a thread's pool responses are in, it creates "<prefix>.done.<N>"; the
-- harness then interrupts wrk (wrk itself always sleeps for the whole -d duration).
-- done() prints one line "BENCH_JSON {...}" that bench/loadgen.py reads.

local prefix = os.getenv("BENCH_POOL_PREFIX")
local mode = os.getenv("BENCH_POOL_MODE") or "once"
local FILLER_PATH = "/__bench_filler__"

local counter = 0
local threads = {}

function setup(thread)
   thread:set("id", counter)
   table.insert(threads, thread)
   counter = counter + 1
end

function init(args)
   pool = {}
   local file = assert(io.open(prefix .. "." .. id, "rb"))
   while true do
      local header = file:read("*l")
      if not header then break end
      pool[#pool + 1] = file:read(tonumber(header))
   end
   file:close()
   size = #pool
   issued = 0
   responses = 0
   fillers = 0
   filler_responses = 0
   finished = false
   verified = false
   statuses = {}
   filler = wrk.format("GET", FILLER_PATH)
end

function request()
   -- wrk calls request() once in thread 0 before any thread runs, only to count
   -- pipelined requests; that call must not use up an event.
   if not verified then
      verified = true
      if id == 0 then
         return filler
      end
   end
   if mode == "once" and issued >= size then
      fillers = fillers + 1
      return filler
   end
   local index = issued % size + 1
   issued = issued + 1
   return pool[index]
end

function response(status, headers, body)
   if status == 404 and fillers > 0 then
      filler_responses = filler_responses + 1
      return
   end
   responses = responses + 1
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
   if mode == "once" and not finished and responses >= size then
      finished = true
      local marker = io.open(prefix .. ".done." .. id, "w")
      if marker then marker:close() end
   end
end

local function encode_counts(counts)
   local parts = {}
   for key, value in pairs(counts) do
      parts[#parts + 1] = string.format('"%s": %d', key, value)
   end
   return "{" .. table.concat(parts, ", ") .. "}"
end

function done(summary, latency, requests)
   local per_thread = {}
   for _, thread in ipairs(threads) do
      per_thread[#per_thread + 1] = string.format(
         '{"id": %d, "size": %d, "issued": %d, "responses": %d, "fillers": %d, '
         .. '"filler_responses": %d, "statuses": %s}',
         thread:get("id"), thread:get("size"), thread:get("issued"), thread:get("responses"),
         thread:get("fillers"), thread:get("filler_responses"),
         encode_counts(thread:get("statuses")))
   end
   local errors = summary.errors
   io.write(string.format(
      'BENCH_JSON {"duration_us": %d, "requests": %d, "bytes": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"latency_us": {"min": %d, "mean": %.1f, "p50": %d, "p90": %d, "p99": %d, '
      .. '"p999": %d, "max": %d}, "threads": [%s]}\n',
      summary.duration, summary.requests, summary.bytes,
      errors.connect, errors.read, errors.write, errors.status, errors.timeout,
      latency.min, latency.mean, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency:percentile(99.9), latency.max,
      table.concat(per_thread, ", ")))
end
