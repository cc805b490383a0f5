-- wrk script: a paced (constant arrival rate) load, like wrk2's -R, on Debian's wrk 4,
-- recording every request's latency from its scheduled send time as well as its service
-- time.
--
-- wrk runs with one connection per thread (-t N -c N), so each thread's Lua state sees one
-- connection's requests strictly in order (delay → request → response → delay …) and can
-- pair each response with the slot its request was scheduled for. Each connection sends
-- every N / RATE seconds, the connections' phases spread evenly over one interval, so the
-- arrivals of all of them are evenly spaced (wrk2's model). A connection still waiting for
-- a slow answer when its next slot comes sends late: that wait is what coordinated
-- omission hides, and it is part of the latency measured from the scheduled send.
--
-- Per response, in µs of CLOCK_MONOTONIC:
--   scheduled = response end − scheduled send (the intended start; wrk2's figure)
--   service   = response end − the request's actual write (wrk's own figure)
-- A send that goes out before its slot (wrk's timers have 1 ms granularity) counts from
-- when it was written.
--
-- Arguments after `--`: PATHS_FILE (one request path per line) RATE (requests/s, all
-- connections) CONNECTIONS OUT_FILE. done() writes one line per response to OUT_FILE
-- ("slot scheduled service status") and prints one JSON summary line.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } pm_timespec;
  int clock_gettime(int clock, pm_timespec *ts);
]]
local ts = ffi.new("pm_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end

-- Main state: one entry per thread (= connection).
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

-- Thread state. Globals are what done() reads back with thread:get().
samples, late, late_max_us, out = {}, 0, 0, nil
local paths, index, interval, phase = {}, 0, 0, 0
local next_slot, pending, slot, sent_at = nil, nil, 0, 0

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then table.insert(paths, line) end
  end
  local rate, connections = tonumber(args[2]), tonumber(args[3])
  interval = 1e6 * connections / rate
  phase = (id or 0) * 1e6 / rate
  out = args[4]
  -- Each connection starts at its own entry in the paths, so they do not all ask the same one.
  index = (id or 0) % #paths
end

local function take_slot(now)
  if next_slot == nil then next_slot = now + phase end
  local s = next_slot
  next_slot = next_slot + interval
  return s
end

function delay()
  local now = now_us()
  pending = take_slot(now)
  local wait = pending - now
  if wait < 0 then
    late = late + 1
    if -wait > late_max_us then late_max_us = -wait end
    return 0
  end
  return math.floor(wait / 1000)
end

function request()
  local now = now_us()
  -- After a reconnect wrk sends at once, without asking delay(): that send takes the next slot.
  slot = pending or take_slot(now)
  pending = nil
  sent_at = now
  index = index % #paths + 1
  return wrk.format(nil, paths[index])
end

function response(status)
  local now = now_us()
  local n = #samples
  samples[n + 1] = slot
  samples[n + 2] = now - math.min(slot, sent_at)
  samples[n + 3] = now - sent_at
  samples[n + 4] = status
end

function done(summary)
  local file = assert(io.open(threads[1]:get("out"), "w"))
  local late_total, late_max = 0, 0
  for _, t in ipairs(threads) do
    late_total = late_total + t:get("late")
    late_max = math.max(late_max, t:get("late_max_us"))
    local s = t:get("samples")
    for i = 1, #s, 4 do
      file:write(string.format("%.0f %.0f %.0f %d\n", s[i], s[i + 1], s[i + 2], s[i + 3]))
    end
  end
  file:close()
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"durationUs":%d,"non2xx":%d,"errors":%d,"timeouts":%d,"late":%d,"lateMaxMs":%.1f}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write, e.timeout,
    late_total, late_max / 1000))
end
