/**
 * The rate limiters' Lua scripts: one atomic script per algorithm, one key per limited key (a
 * hash tag keeps it in one cluster slot). Time is the Redis server's — key expiry, and `TIME` in
 * the scripts that need "now" — so limiter instances on machines with skewed clocks agree.
 * Every script answers {allowed (1|0), remaining, resetMs, retryAfterMs}.
 * ARGV: limit, windowMs, cost [, burst]. A cost of 0 is a peek (`get`): it answers whether a call
 * of cost 1 would pass now, and what remains, and writes nothing; a negative cost is the same look
 * for a call of that cost (the several-limits script looks at every limit before it counts).
 */
import { type LuaScript, luaScript } from './scripts.js';

const NOW_MS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
`;

/**
 * Fixed window: the design's phone_limit.lua semantics (Redis's "rate limiter 2" made atomic) —
 * the first call of a window creates the counter and sets its expiry; calls that would pass the
 * limit are refused until the key expires. A refused call that leaves room for smaller ones is
 * taken back (a refused call of cost 3 does not eat budget a cost-1 call could use); one that
 * finds no room left changes nothing that matters. A counter found without a TTL (left by a
 * client-side INCR + EXPIRE pair that crashed between the two, or a PERSIST) is given one.
 * Two key operations on the common path, as the bare script.
 */
export const FIXED_WINDOW = luaScript(
  'fixed-window',
  `
local limit, window, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if cost <= 0 then
  local need = math.max(1, -cost)
  local seen = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
  local left = math.max(0, redis.call('PTTL', KEYS[1]))
  if seen + need <= limit then return {1, limit - seen, left, 0} end
  return {0, math.max(0, limit - seen), left, left}
end
local current = redis.call('INCRBY', KEYS[1], cost)
local ttl = redis.call('PTTL', KEYS[1])
if current == cost or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], window)
  ttl = window
end
if current > limit then
  local before = current - cost
  if before < limit then redis.call('DECRBY', KEYS[1], cost) end
  return {0, math.max(0, limit - before), ttl, ttl}
end
return {1, limit - current, ttl, 0}
`,
);

/**
 * Sliding window (two weighted counters): the estimate is the previous window's count weighted
 * by how much of it still overlaps the sliding window, plus the current window's count. No burst
 * of 2× the limit at a window edge; two numbers per key. Fields: i (window index), c (its count),
 * p (the previous window's count).
 */
export const SLIDING_WINDOW = luaScript(
  'sliding-window',
  `${NOW_MS}
local limit, window, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local peek = cost <= 0
if peek then cost = math.max(1, -cost) end
local index = math.floor(now / window)
local h = redis.call('HMGET', KEYS[1], 'i', 'c', 'p')
local i, c, p = tonumber(h[1]), tonumber(h[2]) or 0, tonumber(h[3]) or 0
local moved = i ~= index
if i == index - 1 then p, c = c, 0
elseif moved then p, c = 0, 0 end
local elapsed = now - index * window
local estimate = p * (window - elapsed) / window + c
local reset = math.ceil(window - elapsed)
if estimate + cost > limit then
  -- when will estimate + cost fit? within this window (the previous count fading), else in the next
  local retry
  local room = limit - cost - c
  if room >= 0 and p > 0 then
    retry = window * (1 - room / p) - elapsed
  else
    retry = (window - elapsed) + window * math.max(0, 1 - (limit - cost) / math.max(c, 1))
  end
  return {0, math.max(0, math.floor(limit - estimate)), reset, math.max(1, math.ceil(retry))}
end
if peek then return {1, math.max(0, math.floor(limit - estimate)), reset, 0} end
if moved then
  -- a new window: the key lives until the end of the next one, when this count stops weighing
  redis.call('HSET', KEYS[1], 'i', index, 'c', c + cost, 'p', p)
  redis.call('PEXPIREAT', KEYS[1], (index + 2) * window)
else
  redis.call('HINCRBY', KEYS[1], 'c', cost)
end
return {1, math.max(0, math.floor(limit - estimate - cost)), reset, 0}
`,
);

/**
 * Token bucket as GCRA (the generic cell rate algorithm): a bucket of `burst` tokens refilled at
 * limit per window, kept as one number — the theoretical arrival time (TAT) of the next request.
 * Smooth rate, bursts up to `burst`; the key lives only until the bucket is full again.
 */
export const TOKEN_BUCKET = luaScript(
  'token-bucket',
  `${NOW_MS}
local limit, window, cost, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local peek = cost <= 0
if peek then cost = math.max(1, -cost) end
local emission = window / limit
local tolerance = emission * burst
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if tat < now then tat = now end
local newTat = tat + cost * emission
local allowAt = newTat - tolerance
if now < allowAt then
  return {0, math.max(0, math.floor((now - tat + tolerance) / emission)), math.ceil(tat - now), math.ceil(allowAt - now)}
end
if peek then return {1, math.max(0, math.floor((now - tat + tolerance) / emission)), math.ceil(tat - now), 0} end
redis.call('SET', KEYS[1], string.format('%.3f', newTat), 'PX', math.max(1, math.ceil(newTat - now)))
return {1, math.max(0, math.floor((now - newTat + tolerance) / emission)), math.ceil(newTat - now), 0}
`,
);

/** Forgets a limited key's state (KEYS: its state [, its block]): its next call starts afresh. → keys removed. */
export const RESET = luaScript('reset', "return redis.call('DEL', unpack(KEYS))");

/**
 * A decision script with a block (`blockMs`): KEYS[2] is the key's block, the last ARGV the block
 * in ms. While the block lasts every call is refused without counting (retry after what is left
 * of it); a refused call (not a peek) starts a block. Made from the plain script, so the two
 * decide alike when nothing is blocked.
 */
export function blocking(script: LuaScript): LuaScript {
  return luaScript(
    `${script.name}-blocking`,
    `
local left = redis.call('PTTL', KEYS[2])
if left > 0 then return {0, 0, left, left} end
local function decide()
${script.source}
end
local r = decide()
if r[1] == 0 and tonumber(ARGV[3]) > 0 then
  local blockMs = tonumber(ARGV[#ARGV])
  redis.call('SET', KEYS[2], '1', 'PX', blockMs)
  return {0, 0, blockMs, blockMs}
end
return r
`,
  );
}

/**
 * Penalty (delta > 0: counts it, whatever the limit) or reward (delta < 0: gives it back, never
 * below nothing) on a limited key, without a decision. ARGV: limit, windowMs, delta [, burst].
 * Each keeps its algorithm's expiry rules: the key still never outlives its window.
 */
export const FIXED_WINDOW_ADJUST = luaScript(
  'fixed-window-adjust',
  `
local window, delta = tonumber(ARGV[2]), tonumber(ARGV[3])
local current = redis.call('INCRBY', KEYS[1], delta)
if current <= 0 then redis.call('DEL', KEYS[1]) return 0 end
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], window) end
return current
`,
);

export const SLIDING_WINDOW_ADJUST = luaScript(
  'sliding-window-adjust',
  `${NOW_MS}
local window, delta = tonumber(ARGV[2]), tonumber(ARGV[3])
local index = math.floor(now / window)
local h = redis.call('HMGET', KEYS[1], 'i', 'c', 'p')
local i, c, p = tonumber(h[1]), tonumber(h[2]) or 0, tonumber(h[3]) or 0
if i == index - 1 then p, c = c, 0
elseif i ~= index then p, c = 0, 0 end
c = math.max(0, c + delta)
redis.call('HSET', KEYS[1], 'i', index, 'c', c, 'p', p)
redis.call('PEXPIREAT', KEYS[1], (index + 2) * window)
return c
`,
);

export const TOKEN_BUCKET_ADJUST = luaScript(
  'token-bucket-adjust',
  `${NOW_MS}
local limit, window, delta = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local emission = window / limit
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if tat < now then tat = now end
tat = tat + delta * emission
if tat <= now then redis.call('DEL', KEYS[1]) return 0 end
redis.call('SET', KEYS[1], string.format('%.3f', tat), 'PX', math.max(1, math.ceil(tat - now)))
return 1
`,
);

/**
 * Several limits decided and counted together (RedisMultiRateLimiter): KEYS one per limit (one
 * hash tag, one slot); ARGV cost, then per limit: limit, windowMs, burst. Every limit is looked at
 * first (a dry run of the algorithm's own script); only when all would pass are all counted.
 * → {allowed (1|0), i (the limit that makes the caller wait longest, 0 when allowed), its
 * retryAfterMs, remaining1, reset1, remaining2, reset2, …} — after counting when allowed, as they
 * stand (nothing counted) when refused. A cost of 0 looks only.
 */
export function several(script: LuaScript): LuaScript {
  return luaScript(
    `${script.name}-several`,
    `
local function decide(KEYS, ARGV)
${script.source}
end
local cost = tonumber(ARGV[1])
local n = #KEYS
local looks, worst = {}, nil
for i = 1, n do
  local r = decide({KEYS[i]}, {ARGV[3 * i - 1], ARGV[3 * i], tostring(-math.max(cost, 1)), ARGV[3 * i + 1]})
  looks[i] = r
  if r[1] == 0 and (worst == nil or r[4] > looks[worst][4]) then worst = i end
end
local out = {worst and 0 or 1, worst or 0, worst and looks[worst][4] or 0}
for i = 1, n do
  local r = looks[i]
  if cost > 0 and not worst then r = decide({KEYS[i]}, {ARGV[3 * i - 1], ARGV[3 * i], tostring(cost), ARGV[3 * i + 1]}) end
  out[#out + 1] = r[2]
  out[#out + 1] = r[3]
end
return out
`,
  );
}
