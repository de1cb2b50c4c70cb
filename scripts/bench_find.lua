-- wrk script for scripts/bench.py: a load of /find/ searches, each one new, or a fixed path.
--
--   wrk -t2 -c16 -d30s -s scripts/bench_find.lua URL -- find THREADS TYPES AUDIENCES \
--       WORDS TYPOS PAIRS PLACES
--   wrk -t2 -c16 -d30s -s scripts/bench_find.lua URL -- path /learn/
--
-- THREADS is wrk's -t; TYPES and AUDIENCES are comma-separated slugs (support types; features
-- of the audience category); WORDS, TYPOS, PAIRS and PLACES are "|"-separated: the listings'
-- 200 most frequent words, typos of them, two frequent words, towns ("Denver, CO") and ZIP
-- codes (scripts/bench.py visitor_queries). What visitors send, in these proportions: a third
-- of searches have a keyword (of those, 6 in 10 a frequent word, 2 in 10 a typo of one, 2 in
-- 10 two words), half a place with a radius of 5, 10, 25 or 50 miles. In "find" mode every
-- request is a search this run has not made before: type,
-- attendance, audience, when, day, time of day, sort and page are drawn at random (most
-- visitors tick one or two filters, so each facet is often left out), and the visitor's time
-- zone comes from a list split between the threads, so two threads never send the same search
-- and a thread redraws a search it already sent. Nothing here is cached by the site anyway;
-- distinct searches make sure no cache could help.
--
-- done() prints one line "BENCH_RESULT {json}" for scripts/bench.py: requests, latency
-- percentiles (ms), responses that were not 2xx, socket errors and distinct searches sent.

local threads = {}
local counter = 0

function setup(thread)
   thread:set("thread_id", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

local function split_on(text, separator)
   local items = {}
   for item in string.gmatch(text or "", "[^" .. separator .. "]+") do
      table.insert(items, item)
   end
   return items
end

local function escape(text)
   return (string.gsub(text, "[^%w%-%._~]", function(c)
      return string.format("%%%02X", string.byte(c))
   end))
end

local function split(text)
   local items = {}
   for item in string.gmatch(text or "", "[^,]+") do
      table.insert(items, item)
   end
   return items
end

local ZONES = {
   "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
   "America/Phoenix", "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico",
   "America/Detroit", "America/Boise", "America/Indiana/Indianapolis", "America/Toronto",
   "Europe/London", "Europe/Dublin", "Europe/Berlin", "Australia/Sydney",
}
local ATTENDANCE = {
   {"in_person"}, {"online"}, {"hybrid"}, {"in_person", "hybrid"}, {"online", "hybrid"},
   {"in_person", "online"},
}
local WHEN = {"now", "soon", "today"}
local TIMES = {"morning", "afternoon", "evening", "night"}
local SORTS = {"soonest", "name"}

local mode, fixed_path, types, audiences, zones, words, typos, word_pairs, places
local seen = {}
responses, non2xx, distinct, redrawn = 0, 0, 0, 0

function init(args)
   mode = args[1] or "find"
   if mode == "path" then
      fixed_path = args[2] or "/"
   else
      local nthreads = tonumber(args[2]) or 1
      types = split(args[3])
      audiences = split(args[4])
      words = split_on(args[5], "|")
      typos = split_on(args[6], "|")
      word_pairs = split_on(args[7], "|")
      places = split_on(args[8], "|")
      zones = {}
      for i, zone in ipairs(ZONES) do
         -- Thread k (thread_id, set by setup()) gets zones k+1, k+1+n, k+1+2n...
         if (i - 1) % nthreads == (thread_id or 0) % nthreads then
            table.insert(zones, zone)
         end
      end
      if #zones == 0 then
         zones = ZONES -- more threads than zones: searches may then repeat across threads
      end
   end
   math.randomseed(os.time() + 7919 * (thread_id or 0))
end

local function pick(list)
   return list[math.random(#list)]
end

local function maybe(probability)
   return math.random() < probability
end

local function search()
   local params = {}
   local function add(name, value)
      table.insert(params, name .. "=" .. value)
   end
   if #words > 0 and maybe(1 / 3) then
      local roll = math.random()
      local list = roll < 0.6 and words or (roll < 0.8 and typos or word_pairs)
      if #list == 0 then
         list = words
      end
      add("q", escape(pick(list)))
   end
   if #places > 0 and maybe(0.5) then
      add("near", escape(pick(places)))
      add("radius", pick({"5", "10", "25", "50"}))
   end
   if #types > 0 and maybe(0.5) then
      add("type", pick(types))
      if maybe(0.15) then
         add("type", pick(types))
      end
   end
   if maybe(0.4) then
      for _, value in ipairs(pick(ATTENDANCE)) do
         add("attendance", value)
      end
   end
   if #audiences > 0 and maybe(0.25) then
      add("audience", pick(audiences))
   end
   if maybe(0.25) then
      add("when", pick(WHEN))
   end
   if maybe(0.25) then
      add("day", tostring(math.random(0, 6)))
      if maybe(0.2) then
         add("day", tostring(math.random(0, 6)))
      end
   end
   if maybe(0.25) then
      add("time", pick(TIMES))
   end
   if maybe(0.35) then
      add("sort", pick(SORTS))
   end
   if maybe(0.3) then
      add("page", tostring(math.random(2, 6)))
   end
   add("tz", pick(zones))
   return "/find/?" .. table.concat(params, "&")
end

function request()
   if mode == "path" then
      return wrk.format("GET", fixed_path)
   end
   local path = search()
   local tries = 0
   while seen[path] and tries < 50 do
      path = search()
      tries = tries + 1
      redrawn = redrawn + 1
   end
   if not seen[path] then
      seen[path] = true
      distinct = distinct + 1
   end
   return wrk.format("GET", path)
end

function response(status, headers, body)
   responses = responses + 1
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
   end
end

function done(summary, latency, requests)
   local totals = {responses = 0, non2xx = 0, distinct = 0, redrawn = 0}
   for _, thread in ipairs(threads) do
      for name, _ in pairs(totals) do
         totals[name] = totals[name] + (thread:get(name) or 0)
      end
   end
   local errors = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests": %d, "duration_s": %.3f, "bytes": %d, "responses": %d, '
         .. '"non2xx": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d, '
         .. '"status_errors": %d, "distinct": %d, "redrawn": %d, "mean_ms": %.2f, '
         .. '"p50_ms": %.2f, "p90_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f}\n',
      summary.requests, summary.duration / 1e6, summary.bytes, totals.responses,
      totals.non2xx, errors.connect, errors.read, errors.write, errors.timeout,
      errors.status, totals.distinct, totals.redrawn, latency.mean / 1000,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000
   ))
end
