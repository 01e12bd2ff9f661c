/**
 * The PostgreSQL lock's schema: the design's table (the lock name as the unique key, a memo of
 * who holds it and why, a modification time) plus what its three flaws need fixed — a lease
 * deadline by the database's clock (expiry), a queue of waiters in arrival order (blocking, fair),
 * a sequence for fencing tokens — and four functions, each one round trip and one transaction,
 * serialised per lock name by a transaction-scoped advisory lock (so they work through a
 * transaction-mode pooler: no state lives in a session). `lockDdl(table)` returns it all for
 * migration tools.
 */
import { InvalidArgumentError } from '../src/core/errors.js';

/** Throws unless `table` is a plain lower-case identifier we can name objects after (never interpolated unchecked). */
export function checkTableName(table: unknown): string {
  if (typeof table !== 'string' || !/^[a-z_][a-z0-9_]{0,39}$/.test(table)) {
    throw new InvalidArgumentError(
      `table must be a lower-case SQL identifier of at most 40 characters (letters, digits, _; not starting with a digit), got ${JSON.stringify(table)}.`,
    );
  }
  return table;
}

/** Quotes an identifier already checked by {@link checkTableName}. */
const q = (name: string) => `"${name}"`;

/** The SQL names of one lock table's objects. */
export function lockObjects(table: string) {
  const t = checkTableName(table);
  return {
    table: q(t),
    queue: q(`${t}_queue`),
    fence: q(`${t}_fence`),
    acquire: q(`${t}_acquire`),
    release: q(`${t}_release`),
    leave: q(`${t}_leave`),
    renew: q(`${t}_renew`),
  };
}

/**
 * One statement that tells whether every object of lock table `table` exists, and whether the
 * current role owns the table (so may replace them): `{ present, owned }`.
 */
export function lockObjectsPresentSql(table: string): string {
  const o = lockObjects(table);
  const lit = (text: string) => `'${text.replaceAll("'", "''")}'`;
  const regclass = [o.table, o.queue, o.fence].map((name) => `to_regclass(${lit(name)}) IS NOT NULL`);
  const regproc = [
    `${o.acquire}(text,text,text,text,bigint,boolean,bigint)`,
    `${o.release}(text,text)`,
    `${o.leave}(text,text)`,
    `${o.renew}(text,text,bigint)`,
  ].map((signature) => `to_regprocedure(${lit(signature)}) IS NOT NULL`);
  return `SELECT (${[...regclass, ...regproc].join(' AND ')}) AS present,
  coalesce((SELECT pg_has_role(c.relowner, 'USAGE') FROM pg_class c WHERE c.oid = to_regclass(${lit(o.table)})), false) AS owned`;
}

/** The DDL of lock table `table` (idempotent: safe to run on every start). */
export function lockDdl(table = 'zk_recipes_locks'): string {
  const o = lockObjects(table);
  const lockKey = `hashtextextended('${checkTableName(table)}:' || p_name, 0)`;
  const ms = (interval: string) => `(extract(epoch from ${interval}) * 1000)::bigint`;
  // Wakes the first live waiter of p_name when nobody holds the lock (delivered at commit).
  const wakeNext = `
  SELECT w.waiter, w.channel INTO nxt FROM ${o.queue} w
   WHERE w.name = p_name AND w.alive_until > now_ts ORDER BY w.seq LIMIT 1;
  IF FOUND AND nxt.channel <> '' AND NOT EXISTS (SELECT 1 FROM ${o.table} l WHERE l.name = p_name AND l.lease_until > now_ts) THEN
    PERFORM pg_notify(nxt.channel, nxt.waiter);
  END IF;`;
  return `
CREATE SEQUENCE IF NOT EXISTS ${o.fence};
CREATE TABLE IF NOT EXISTS ${o.table} (
  name        text PRIMARY KEY,
  holder      text NOT NULL,
  memo        text NOT NULL DEFAULT '',
  token       bigint NOT NULL,
  lease_until timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE IF NOT EXISTS ${o.queue} (
  seq         bigserial PRIMARY KEY,
  name        text NOT NULL,
  waiter      text NOT NULL UNIQUE,
  channel     text NOT NULL,
  alive_until timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS ${q(`${checkTableName(table)}_queue_name`)} ON ${o.queue} (name, seq);

CREATE OR REPLACE FUNCTION ${o.acquire}(p_name text, p_id text, p_channel text, p_memo text, p_ttl_ms bigint, p_wait boolean, p_waiter_ttl_ms bigint)
RETURNS TABLE (granted boolean, token bigint, owner_ttl_ms bigint) LANGUAGE plpgsql AS $$
DECLARE
  now_ts timestamptz;
  o_holder text; o_token bigint; o_until timestamptz;
  head text; head_until timestamptz;
  tok bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(${lockKey});
  now_ts := clock_timestamp();
  -- the owner and the head of the line in one look
  SELECT l.holder, l.token, l.lease_until, h.waiter, h.alive_until INTO o_holder, o_token, o_until, head, head_until
    FROM (SELECT 1) one
    LEFT JOIN ${o.table} l ON l.name = p_name
    LEFT JOIN LATERAL (SELECT w.waiter, w.alive_until FROM ${o.queue} w WHERE w.name = p_name ORDER BY w.seq LIMIT 1) h ON true;
  IF o_holder = p_id AND o_until > now_ts THEN
    RETURN QUERY SELECT true, o_token, 0::bigint; RETURN;
  END IF;
  IF head_until <= now_ts THEN
    -- waiters that stopped looking (they died): skipped
    DELETE FROM ${o.queue} w WHERE w.name = p_name AND w.alive_until <= now_ts;
    SELECT w.waiter INTO head FROM ${o.queue} w WHERE w.name = p_name ORDER BY w.seq LIMIT 1;
  END IF;
  IF (o_until IS NULL OR o_until <= now_ts) AND (head IS NULL OR head = p_id) THEN
    INSERT INTO ${o.table} AS l (name, holder, memo, token, lease_until, updated_at)
      VALUES (p_name, p_id, p_memo, nextval('${o.fence.slice(1, -1)}'), now_ts + p_ttl_ms * interval '1 millisecond', now_ts)
      ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, memo = EXCLUDED.memo, token = EXCLUDED.token,
        lease_until = EXCLUDED.lease_until, updated_at = EXCLUDED.updated_at
      RETURNING l.token INTO tok;
    IF head = p_id THEN DELETE FROM ${o.queue} w WHERE w.waiter = p_id; END IF;
    RETURN QUERY SELECT true, tok, 0::bigint; RETURN;
  END IF;
  IF p_wait THEN
    INSERT INTO ${o.queue} (name, waiter, channel, alive_until)
      VALUES (p_name, p_id, p_channel, now_ts + p_waiter_ttl_ms * interval '1 millisecond')
      ON CONFLICT (waiter) DO UPDATE SET alive_until = EXCLUDED.alive_until;
  END IF;
  RETURN QUERY SELECT false, 0::bigint, CASE WHEN o_until IS NULL OR o_until <= now_ts THEN 0::bigint ELSE ${ms('o_until - now_ts')} END;
END $$;

CREATE OR REPLACE FUNCTION ${o.release}(p_name text, p_id text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  now_ts timestamptz;
  ours boolean;
  nxt record;
BEGIN
  PERFORM pg_advisory_xact_lock(${lockKey});
  now_ts := clock_timestamp();
  -- The row stays, free (as a lease table's does): the next grant is an in-place (HOT) update, not an insert.
  UPDATE ${o.table} l SET holder = '', lease_until = '-infinity', updated_at = now_ts
    FROM (SELECT x.lease_until AS was FROM ${o.table} x WHERE x.name = p_name) before
   WHERE l.name = p_name AND l.holder = p_id RETURNING before.was > now_ts INTO ours;
  IF ours IS NOT NULL THEN
    -- we just freed it: wake the first live waiter, if any
    SELECT w.waiter, w.channel INTO nxt FROM ${o.queue} w WHERE w.name = p_name AND w.alive_until > now_ts ORDER BY w.seq LIMIT 1;
    -- a waiter that does not LISTEN (listen: false) has no channel: its re-check finds the turn
    IF FOUND AND nxt.channel <> '' THEN PERFORM pg_notify(nxt.channel, nxt.waiter); END IF;
  ELSE ${wakeNext}
  END IF;
  RETURN coalesce(ours, false);
END $$;

CREATE OR REPLACE FUNCTION ${o.leave}(p_name text, p_id text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  now_ts timestamptz;
  was_head boolean;
  was_owner boolean;
  nxt record;
BEGIN
  PERFORM pg_advisory_xact_lock(${lockKey});
  now_ts := clock_timestamp();
  SELECT w.waiter = p_id INTO was_head FROM ${o.queue} w WHERE w.name = p_name ORDER BY w.seq LIMIT 1;
  DELETE FROM ${o.queue} w WHERE w.waiter = p_id;
  UPDATE ${o.table} l SET holder = '', lease_until = '-infinity', updated_at = now_ts
   WHERE l.name = p_name AND l.holder = p_id RETURNING true INTO was_owner;
  IF coalesce(was_head, false) OR coalesce(was_owner, false) THEN ${wakeNext}
  END IF;
END $$;

CREATE OR REPLACE FUNCTION ${o.renew}(p_name text, p_id text, p_ttl_ms bigint) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  UPDATE ${o.table} l SET lease_until = clock_timestamp() + p_ttl_ms * interval '1 millisecond', updated_at = clock_timestamp()
   WHERE l.name = p_name AND l.holder = p_id AND l.lease_until > clock_timestamp();
  RETURN FOUND;
END $$;
`;
}
