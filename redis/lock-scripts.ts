/**
 * The Redis lock's Lua scripts. Keys of one lock share a hash tag (`{name}`), so they live in one
 * slot of a cluster too:
 *   owner   string  the holder's id, with the lease TTL (PX)
 *   queue   list    waiter ids in arrival order (FIFO)
 *   waiters zset    waiter id → server ms until which the entry counts as alive (a waiter
 *                   re-checks, and so refreshes it, every recheckMs; a dead one is skipped)
 *   fence   string  the last fencing token issued (never expires)
 * A waiter id is `<hub>.<uuid>`: a release publishes the next waiter's id on `zk-recipes:wake:<hub>`,
 * the channel of the one connection that waiter listens on — no other subscriber hears it.
 * Time is the server's (`TIME`), so app servers with skewed clocks agree.
 */
import { luaScript } from './scripts.js';

/** The channel prefix of wake-ups; `<hub>` follows. */
export const WAKE_CHANNEL_PREFIX = 'zk-recipes:wake:';

/**
 * The wake-up channel of one lock's waiters behind one hub on a Redis Cluster: it carries the
 * lock's hash tag, so a release's SPUBLISH stays on the lock's shard (sharded pub/sub, Redis 7).
 */
export function shardedWakeChannel(name: string, hub: string): string {
  return `${WAKE_CHANNEL_PREFIX}{${name}}:${hub}`;
}

// TIME is asked only when needed: an uncontended acquire or release never looks at the clock.
const PRELUDE_TIME = `
local t
local function serverTime()
  if not t then t = redis.call('TIME') end
  return t
end
local function nowMs()
  local st = serverTime()
  return tonumber(st[1]) * 1000 + math.floor(tonumber(st[2]) / 1000)
end
local function dropDeadHeads()
  while true do
    local head = redis.call('LINDEX', KEYS[2], 0)
    if not head then return nil end
    local alive = redis.call('ZSCORE', KEYS[3], head)
    if alive and tonumber(alive) > nowMs() then return head end
    redis.call('LPOP', KEYS[2])
    redis.call('ZREM', KEYS[3], head)
  end
end
`;

/** How a release wakes the next waiter: PUBLISH on its hub's channel (one server), or SPUBLISH on its lock-and-hub channel (a cluster). */
function prelude(sharded: boolean): string {
  const publish = sharded
    ? `redis.call('SPUBLISH', '${WAKE_CHANNEL_PREFIX}{' .. string.match(KEYS[1], '{(.-)}') .. '}:' .. hub, id)`
    : `redis.call('PUBLISH', '${WAKE_CHANNEL_PREFIX}' .. hub, id)`;
  return `${PRELUDE_TIME}local function wake(id)
  local hub = string.match(id, '^([^.]+)%.')
  if hub then ${publish} end
end
`;
}

const PRELUDE = prelude(false);

/**
 * KEYS owner queue waiters fence; ARGV id ttlMs mode(0 try, 1 wait) waiterTtlMs.
 * → {1, token} granted (also when the lock is already ours: a retry after a lost reply), or
 *   {0, pttl, owner} not yet (pttl: the owner's remaining TTL, 0 and no owner when nobody owns it).
 * The fencing token is max(last + 1, server µs): it rises even after Redis lost the counter
 * (a restart without persistence), unless the server's clock was set back.
 */
export const ACQUIRE = luaScript(
  'acquire',
  `${PRELUDE}
local id = ARGV[1]
local owner = redis.call('GET', KEYS[1])
if owner == id then return {1, redis.call('GET', KEYS[4]) or '0'} end
local head = dropDeadHeads()
if (not owner) and ((not head) or head == id) then
  redis.call('SET', KEYS[1], id, 'PX', ARGV[2])
  if head == id then
    redis.call('LPOP', KEYS[2])
    redis.call('ZREM', KEYS[3], id)
  end
  local last = tonumber(redis.call('GET', KEYS[4]) or '0') or 0
  local st = serverTime()
  local us = tonumber(st[1]) * 1000000 + tonumber(st[2])
  local token = string.format('%.0f', math.max(last + 1, us))
  redis.call('SET', KEYS[4], token)
  return {1, token}
end
if ARGV[3] == '1' then
  local waiterTtl = tonumber(ARGV[4])
  if not redis.call('ZSCORE', KEYS[3], id) then redis.call('RPUSH', KEYS[2], id) end
  redis.call('ZADD', KEYS[3], nowMs() + waiterTtl, id)
  -- only ever extend: a waiter with shorter settings must not expire the places of others
  local keep = waiterTtl * 2
  if redis.call('PTTL', KEYS[2]) < keep then redis.call('PEXPIRE', KEYS[2], keep) end
  if redis.call('PTTL', KEYS[3]) < keep then redis.call('PEXPIRE', KEYS[3], keep) end
end
if not owner then return {0, 0} end
return {0, redis.call('PTTL', KEYS[1]), owner}
`,
);

/** KEYS owner queue waiters; ARGV id. → 1 released (the next live waiter woken), 0 not ours (expired or taken over). */
const releaseScript = (sharded: boolean) =>
  luaScript(
    sharded ? 'release-sharded' : 'release',
    `${prelude(sharded)}
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
local head = dropDeadHeads()
if head then wake(head) end
return 1
`,
  );
export const RELEASE = releaseScript(false);

/**
 * A waiter gives up (timeout, abort): KEYS owner queue waiters; ARGV id. Removes its entry; a
 * grant that reached it too late is given back; the next live waiter is woken when the lock is free.
 */
const leaveScript = (sharded: boolean) =>
  luaScript(
    sharded ? 'leave-sharded' : 'leave',
    `${prelude(sharded)}
local id = ARGV[1]
local wasHead = redis.call('LINDEX', KEYS[2], 0) == id
redis.call('LREM', KEYS[2], 1, id)
redis.call('ZREM', KEYS[3], id)
local wasOwner = redis.call('GET', KEYS[1]) == id
if wasOwner then redis.call('DEL', KEYS[1]) end
-- only a head or an owner leaving can make someone else's turn come
if (wasHead or wasOwner) and not redis.call('GET', KEYS[1]) then
  local head = dropDeadHeads()
  if head then wake(head) end
end
return 1
`,
  );
export const LEAVE = leaveScript(false);

/** The scripts that wake a waiter, as a Redis Cluster needs them (SPUBLISH on the lock's shard). */
export const SHARDED_RELEASE = releaseScript(true);
export const SHARDED_LEAVE = leaveScript(true);

/** KEYS owner; ARGV id ttlMs. → 1 renewed, 0 the lock is gone or another's. */
export const RENEW = luaScript(
  'renew',
  `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`,
);

/**
 * A read-only look: KEYS owner queue waiters fence →
 * {owner or '', owner pttl, last token, now ms, waiter 1, alive-until 1, waiter 2, ...}.
 */
export const INSPECT = luaScript(
  'inspect',
  `${PRELUDE}
local out = {redis.call('GET', KEYS[1]) or '', redis.call('PTTL', KEYS[1]), redis.call('GET', KEYS[4]) or '0', nowMs()}
for _, id in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
  out[#out + 1] = id
  out[#out + 1] = redis.call('ZSCORE', KEYS[3], id) or '0'
end
return out
`,
);

/** The keys of one lock. */
export interface RedisLockKeys {
  readonly owner: string;
  readonly queue: string;
  readonly waiters: string;
  readonly fence: string;
}

/** The keys of lock `name` under `prefix`. */
export function lockKeys(prefix: string, name: string): RedisLockKeys {
  const base = `${prefix}{${name}}`;
  return { owner: `${base}:owner`, queue: `${base}:queue`, waiters: `${base}:waiters`, fence: `${base}:fence` };
}
