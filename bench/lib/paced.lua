-- wrk script: a paced (constant arrival rate) load, like wrk2's -R, on Debian's wrk 4.
--
-- autocannon's rate mode sends each connection's quota back to back at the start of
-- every second, so a "50 %" load saturates the server for half of each second. Here
-- each wrk thread hands out send slots evenly spaced in time (1 / rate apart) to
-- whichever of its connections asks next; a connection busy with a slow answer does not
-- push the schedule back. Slots that pass while every connection is busy are sent at
-- once and counted as late (the generator could not keep up: add connections).
--
-- Arguments after `--`: PATHS_FILE (one request path per line) RATE (requests/s, all
-- threads) THREADS. Prints one JSON line in done().
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } pm_timespec;
  int clock_gettime(int clock, pm_timespec *ts);
]]
local ts = ffi.new("pm_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

local paths, index, interval, next_slot = {}, 0, 0, nil
late, late_max_ms = 0, 0

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then table.insert(paths, line) end
  end
  interval = 1000 / (tonumber(args[2]) / tonumber(args[3]))
end

function request()
  index = index % #paths + 1
  return wrk.format(nil, paths[index])
end

function delay()
  local now = now_ms()
  if next_slot == nil then next_slot = now end
  next_slot = next_slot + interval
  local wait = next_slot - now
  if wait < 0 then
    late = late + 1
    if -wait > late_max_ms then late_max_ms = -wait end
    return 0
  end
  return math.floor(wait)
end

function done(summary, latency, requests)
  local late_total, late_max = 0, 0
  for _, t in ipairs(threads) do
    late_total = late_total + t:get("late")
    late_max = math.max(late_max, t:get("late_max_ms"))
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"durationUs":%d,"non2xx":%d,"errors":%d,"timeouts":%d,' ..
    '"p50Us":%d,"p90Us":%d,"p99Us":%d,"p999Us":%d,"maxUs":%d,"late":%d,"lateMaxMs":%.1f}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, late_total, late_max))
end
