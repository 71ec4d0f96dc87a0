-- wrk's requests to the collect endpoint and to the plain collect view (bench.tracking): each a
-- page view of its own, sent as the tracking script sends it from a browser (text/plain JSON, the
-- page's Origin), by one of ADDRESSES clients, through one proxy: X-Forwarded-For holds the
-- client's address, then the proxy's, as PROXY_COUNT=1 reads it (each proxy appends itself).
--
-- Arguments after the URL: the prefix of this run's page view ids, how many page views to send
-- in all (0: as many as the run's time allows), wrk's threads, the origin, the user agent, the
-- proxy's address.
--
-- With a number to send, each thread sends its share and stops once every one of them is
-- answered, writing "answered <thread> <accepted> <failed>" to standard output at that moment.
-- Its connections may ask again meanwhile: they ask as a crawler, which the endpoint answers
-- (200) and stores nothing for, so that exactly that many page views are sent.

local ADDRESSES = 50000
local CRAWLER = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
local BODY = '{"id":"%s-%d-%d","visitor_id":"visitor-%d-%d","url":"%s/products/%d",'
  .. '"title":"Product %d"}'

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("number", #threads)
end

function init(args)
  prefix, origin, agent, proxy = args[1], args[4], args[5], args[6]
  local total
  total, threads_count = tonumber(args[2]), tonumber(args[3])
  limited = total > 0
  -- The first threads take one more when the total does not divide evenly.
  share = math.floor(total / threads_count) + ((number <= total % threads_count) and 1 or 0)
  sent, accepted, failed, finished = 0, 0, 0, false
  -- wrk calls the first thread's request() once to check it, and never sends that request.
  checked = number ~= 1
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "text/plain"
  wrk.headers["Origin"] = origin
end

-- X-Forwarded-For of one of ADDRESSES clients in 10.0.0.0/8, the threads taking turns.
local function forwarded_for(index)
  local n = index % ADDRESSES
  local client =
    string.format("10.%d.%d.%d", math.floor(n / 65536), math.floor(n / 256) % 256, n % 256)
  return client .. ", " .. proxy
end

function request()
  if limited and (sent >= share or not checked) then
    -- The check's request, sent or not, is a crawler's too: it is no page view either way.
    checked = true
    wrk.headers["User-Agent"] = CRAWLER
    return wrk.format()
  end
  sent = sent + 1
  wrk.headers["User-Agent"] = agent
  wrk.headers["X-Forwarded-For"] = forwarded_for((sent - 1) * threads_count + number - 1)
  local page = sent % 100
  local body = string.format(BODY, prefix, number, sent, number, sent % 10000, origin, page, page)
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status == 204 then
    accepted = accepted + 1
  elseif status ~= 200 then
    failed = failed + 1
  end
  if limited and not finished and accepted + failed == share then
    finished = true
    io.write(string.format("answered %d %d %d\n", number, accepted, failed))
    io.flush()
    wrk.thread:stop()
  end
end
