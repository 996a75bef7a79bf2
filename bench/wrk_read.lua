-- wrk script for bench/read_documents.py: professionals listing and opening patients' documents.
-- Arguments (after --): <targets file> <mode: mix|list|open>
-- Each line of the targets file: "<header name>\t<header value>\t<list path>\t<open path>".
-- Each request picks a random line (a random professional x patient x document).

local targets = {}
local mode = "mix"
local counter = 0

function init(args)
  local path = args[1]
  mode = args[2] or "mix"
  for line in io.lines(path) do
    local name, value, list, open = line:match("([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)")
    if name then
      table.insert(targets, {name = name, value = value, list = list, open = open})
    end
  end
  math.randomseed(os.time() + (tonumber(tostring({}):sub(8)) or 0))
end

function request()
  counter = counter + 1
  local t = targets[math.random(#targets)]
  local headers = {}
  headers[t.name] = t.value
  headers["Accept"] = "application/json"
  local path
  if mode == "list" then
    path = t.list
  elseif mode == "open" then
    path = t.open
  elseif counter % 2 == 0 then
    path = t.list
  else
    path = t.open
  end
  return wrk.format("GET", path, headers)
end

-- One JSON line on stdout, parsed by read_documents.py. Latencies in microseconds.
function done(summary, latency, requests)
  local s = {}
  for _, p in ipairs({50, 90, 99, 99.9}) do
    table.insert(s, string.format('"p%s": %d', tostring(p), latency:percentile(p)))
  end
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "errors_connect": %d, "errors_read": %d, ' ..
    '"errors_write": %d, "errors_status": %d, "errors_timeout": %d, "latency_mean_us": %.1f, ' ..
    '"latency_max_us": %d, %s}\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout, latency.mean,
    latency.max, table.concat(s, ", ")))
end
