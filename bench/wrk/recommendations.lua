-- wrk script: GET /users/{id}/recommendations?k=10 for users drawn at random from the demo sample.
-- Run against a node serving the demo (users 15, 30, …, 31005 exist in the sample):
--   wrk -t2 -c16 -d20s --latency -s bench/wrk/recommendations.lua http://localhost:8080
math.randomseed(2026)
request = function()
  local user = 15 * math.random(1, 2067)
  return wrk.format("GET", "/users/" .. user .. "/recommendations?k=10")
end
