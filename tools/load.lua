-- wrk script for tools/load.py: what a class sends, in a fixed round. The lecture's presets,
-- custom expressions, exports, and the mistakes students make (syntax, shapes, bad JSON, bad
-- variables). Counts answers by status class and prints one LOAD_RESULT JSON line at the end.

local cases = {
  -- the lecture's presets
  {200, "/api/trace", [[{"expression": "s = uᵀ f(Wx + b)"}]]},
  {200, "/api/trace", [[{"expression": "(x + y) * z",
    "variables": {"x": {"value": -2}, "y": {"value": 5}, "z": {"value": -4}}}]]},
  {200, "/api/trace", [[{"expression": "1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))",
    "variables": {"w0": {"value": 2}, "x0": {"value": -1}, "w1": {"value": -3},
                  "x1": {"value": -2}, "w2": {"value": -3}}}]]},
  {200, "/api/trace", [[{"expression": "h1 = f(W1 x + b1)\nh2 = f(W2 h1 + b2)\ns = uᵀ h2",
    "f": "relu", "seed": 3}]]},
  {200, "/api/trace", [[{"expression":
    "x = [x_museums; x_in; x_Paris; x_are; x_amazing]\ns = uᵀ f(Wx + b)", "f": "sigmoid"}]]},
  -- custom expressions
  {200, "/api/trace", [[{"expression": "s = u.T @ tanh(W @ x + b)",
    "variables": {"W": {"shape": [10, 12]}}, "seed": 11}]]},
  {200, "/api/trace", [[{"expression": "s = sum(softmax(W x) * y)", "seed": 5}]]},
  {200, "/api/trace", [[{"expression": "s = sum(W X + b)", "variables":
    {"W": {"shape": [8, 6]}, "X": {"shape": [6, 16]}, "b": {"shape": [8, 1]}}}]]},
  {200, "/api/trace", [[{"expression": "s = xᵀ A x", "variables": {"A": {"shape": [4, 4]}}}]]},
  {200, "/api/trace", [[{"expression":
    "s = mean(max(x, 0.5) - min(x, y) / 2 + x ** 2 - sqrt(abs(x)) + sin(x) cos(x))"}]]},
  -- exports
  {200, "/api/export?format=svg", [[{"expression": "s = uᵀ f(Wx + b)"}]]},
  {200, "/api/export?format=png&step=9", [[{"expression": "(x + y) * z"}]]},
  -- mistakes
  {400, "/api/trace", [[{"expression": "s = uᵀ f(Wx + b"}]]},
  {400, "/api/trace", [[{"expression": "s = tanhh(x)"}]]},
  {400, "/api/trace", [[{"expression": "s = uᵀ f(Wx + b)",
    "variables": {"W": {"shape": [3, 4]}, "x": {"value": [1, 2, 3, 4, 5]}}}]]},
  {400, "/api/trace", [[{"expression": "s = W x", "variables": {"W": {"shape": [3, 4]}}}]]},
  {400, "/api/trace", [[this is not JSON]]},
  {400, "/api/trace", [=[{"expression": "s = sum(x)", "variables": {"x": {"value": [[1], [2, 3]]}}}]=]},
  {400, "/api/trace", [[{"expression": "s = sum(x)", "variables": "x"}]]},
  {400, "/api/trace", [[{"expression": "s = sum(x)", "seed": -1, "f": "swish"}]]},
  {400, "/api/export?format=gif", [[{"expression": "s = uᵀ f(Wx + b)"}]]},
}

local requests = {}
local next_case = 0
local headers = {["Content-Type"] = "application/json"}
-- per thread, read back by done(): answers by class, and requests sent expecting 200 / 400
n2xx, n4xx, n5xx, nother, sent200, sent400 = 0, 0, 0, 0, 0, 0

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for k, case in ipairs(cases) do
    requests[k] = wrk.format("POST", case[2], headers, case[3])
  end
end

function request()
  next_case = next_case % #cases + 1
  if cases[next_case][1] == 200 then sent200 = sent200 + 1 else sent400 = sent400 + 1 end
  return requests[next_case]
end

function response(status, headers, body)
  if status >= 200 and status < 300 then n2xx = n2xx + 1
  elseif status >= 400 and status < 500 then n4xx = n4xx + 1
  elseif status >= 500 then n5xx = n5xx + 1
  else nother = nother + 1 end
end

function done(summary, latency, requests)
  local total = {n2xx = 0, n4xx = 0, n5xx = 0, nother = 0, sent200 = 0, sent400 = 0}
  for _, thread in ipairs(threads) do
    for name in pairs(total) do total[name] = total[name] + thread:get(name) end
  end
  local e = summary.errors
  io.write(string.format(
    'LOAD_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d}, ' ..
    '"latency_us": {"p50": %d, "p95": %d, "p99": %d, "max": %d}, ' ..
    '"statuses": {"2xx": %d, "4xx": %d, "5xx": %d, "other": %d}, ' ..
    '"sent": {"expecting 200": %d, "expecting 400": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    total.n2xx, total.n4xx, total.n5xx, total.nother, total.sent200, total.sent400))
end
