-- wrk script: POST /api/v1/loyalty/members/{id}/points/earn with a unique Idempotency-Key per
-- request, members drawn at random. Environment: SIYU_KEY (secret key), MEMBERS, RUN (a tag
-- that keeps keys unique across runs).
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local key, members, run, counter
function init(args)
  key = os.getenv("SIYU_KEY")
  members = tonumber(os.getenv("MEMBERS"))
  run = os.getenv("RUN")
  counter = 0
  math.randomseed(tid)
end

local body = '{"points":10,"reason":"bench"}'
function request()
  counter = counter + 1
  local headers = {
    ["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = run .. "-" .. tid .. "-" .. counter,
  }
  return wrk.format("POST", "/api/v1/loyalty/members/" .. math.random(1, members) .. "/points/earn", headers, body)
end
