"""The Lua scripts that make every job state change atomic in Redis.

Keys (``<ns>`` is the deployment's namespace):

- ``<ns>:job:<id>``             hash: the job (status, counters, timestamps in ms, result bytes)
- ``<ns>:job:<id>:pages``       hash: page index → the extractor's page result (until terminal)
- ``<ns>:job:<id>:assembling``  string: the page index whose RecordPage call was ``last``
- ``<ns>:job:<id>:events``      pub/sub channel: one message per change (WatchJob), the
                                state after it: ``<status>|<pages_done>|<pages_total>|<ms>``
- ``<ns>:jobs:<user>:<type>``           sorted set of job ids by creation time (listing)
- ``<ns>:jobs:<user>:<type>:<status>``  the same, per status (status filter)
- ``<ns>:jobs:seq``             counter: creation order (listing score)
- ``<ns>:callbacks:outbox``   list: callbacks owed but not yet queued on JetStream
- ``<ns>:jobs:restored``        string: present while Redis holds the state rebuilt from the
                                database (absent after Redis lost its data: see recovery.py)
- ``<ns>:jobs:restoring``       string: the lock of the one process rebuilding it
- ``<ns>:batch:<id>``           hash: the batch with live counts pending/processing/completed/failed
- ``<ns>:batch:<id>:jobs``      list: the batch's job ids in submission order

The transition script derives the listing and batch keys from the job's own fields, so it
expects a standalone Redis (or one where the namespace maps to a single slot).
"""

from __future__ import annotations

# KEYS: job, listing zset, listing zset for "pending", creation sequence counter.
# ARGV: job_id, field/value pairs... The listing score is a global sequence number, so
# "newest first" is exact even for the jobs of one batch created in the same millisecond.
CREATE_JOB = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local score = redis.call('INCR', KEYS[4])
redis.call('HSET', KEYS[1], 'score', score, unpack(ARGV, 2))
redis.call('ZADD', KEYS[2], score, ARGV[1])
redis.call('ZADD', KEYS[3], score, ARGV[1])
return 1
"""

# Rebuilding Redis from the database (services/jobs/recovery.py). KEYS: job, listing zset,
# listing zset for the job's status. ARGV: job_id, score, restore the hash (0/1), field/value
# pairs... A job Redis already knows is left alone (returns 0).
RESTORE_JOB = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
if ARGV[3] == '1' then redis.call('HSET', KEYS[1], 'score', ARGV[2], unpack(ARGV, 4)) end
return 1
"""

# KEYS: job. ARGV: namespace, to, now_ms, allowed "from" statuses (comma-separated),
# seconds a terminal job stays in Redis (0 = forever), field/value pairs to set...
# Returns {"ok"|"missing"|"illegal", previous status, batch_finished (0/1)}.
# A terminal change that owes a callback (a lone job with a callback URL, or the last job of a
# batch with one) pushes ``job:<id>`` / ``batch:<id>`` on the outbox list in the same step, so
# a crash before the callback is queued on JetStream cannot lose it.
TRANSITION = """
local job = KEYS[1]
local ns, to, now = ARGV[1], ARGV[2], ARGV[3]
local cur = redis.call('HGET', job, 'status')
if not cur then return {'missing', '', 0} end
local allowed = false
for s in string.gmatch(ARGV[4], '[^,]+') do
  if s == cur then allowed = true end
end
if not allowed then return {'illegal', cur, 0} end
local f = redis.call('HMGET', job, 'user_id', 'document_type', 'batch_id', 'score', 'job_id')
local base = ns .. ':jobs:' .. f[1] .. ':' .. f[2]
redis.call('ZREM', base .. ':' .. cur, f[5])
redis.call('ZADD', base .. ':' .. to, f[4], f[5])
redis.call('HSET', job, 'status', to, 'updated_ms', now)
if #ARGV > 5 then redis.call('HSET', job, unpack(ARGV, 6)) end
local terminal = (to == 'completed' or to == 'failed')
if terminal then
  redis.call('DEL', job .. ':pages', job .. ':assembling')
  if tonumber(ARGV[5]) > 0 then redis.call('EXPIRE', job, ARGV[5]) end
end
local batch_finished = 0
if f[3] and f[3] ~= '' then
  local bkey = ns .. ':batch:' .. f[3]
  redis.call('HINCRBY', bkey, cur, -1)
  redis.call('HINCRBY', bkey, to, 1)
  redis.call('HSET', bkey, 'updated_ms', now)
  if terminal then
    local c = redis.call('HMGET', bkey, 'completed', 'failed', 'total')
    if tonumber(c[1]) + tonumber(c[2]) == tonumber(c[3]) then
      batch_finished = 1
      local url = redis.call('HGET', bkey, 'callback_url')
      if url and url ~= '' then redis.call('RPUSH', ns .. ':callbacks:outbox', 'batch:' .. f[3]) end
    end
  end
elseif terminal then
  local url = redis.call('HGET', job, 'callback_url')
  if url and url ~= '' then redis.call('RPUSH', ns .. ':callbacks:outbox', 'job:' .. f[5]) end
end
local p = redis.call('HMGET', job, 'pages_done', 'pages_total')
local event = to .. '|' .. (p[1] or 0) .. '|' .. (p[2] or 0) .. '|' .. now
redis.call('PUBLISH', job .. ':events', event)
return {'ok', cur, batch_finished}
"""

# KEYS: job, pages hash, assembling guard. ARGV: page_index, page_result, now_ms.
# Returns {"ok", pages_done, pages_total, last (0/1), [flat page hash when last]} or
# {"missing"} / {"illegal", status} / {"range", status}.
# A page recorded twice changes nothing. Exactly one page index wins the guard; the same page
# delivered again (its worker died before completing the job) is told ``last`` again so the
# job cannot hang with every page recorded and nobody assembling.
RECORD_PAGE = """
local st = redis.call('HMGET', KEYS[1], 'status', 'pages_total')
if not st[1] then return {'missing'} end
if st[1] ~= 'processing' then return {'illegal', st[1]} end
local total = tonumber(st[2])
local idx = tonumber(ARGV[1])
if idx < 0 or idx >= total then return {'range', st[1]} end
local added = redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2])
local done = redis.call('HLEN', KEYS[2])
if added == 1 then
  redis.call('HSET', KEYS[1], 'pages_done', done, 'updated_ms', ARGV[3])
  local event = 'processing|' .. done .. '|' .. total .. '|' .. ARGV[3]
  redis.call('PUBLISH', KEYS[1] .. ':events', event)
end
local last = 0
if done == total then
  if redis.call('SET', KEYS[3], ARGV[1], 'NX') then
    last = 1
  elseif redis.call('GET', KEYS[3]) == ARGV[1] then
    last = 1
  end
end
if last == 1 then
  return {'ok', done, total, 1, redis.call('HGETALL', KEYS[2])}
end
return {'ok', done, total, 0}
"""

__all__ = ["CREATE_JOB", "RECORD_PAGE", "RESTORE_JOB", "TRANSITION"]
