/**
 * What the PostgreSQL backend needs of the user's node-postgres (`pg`) pool, and queries with a
 * deadline whatever the connection does. `pg` itself is never imported here: the pool is passed in.
 */
import { DeadlineTimer } from '../src/core/deadline-timer.js';
import { ClientClosedError, InvalidArgumentError } from '../src/core/errors.js';
import { sleep } from '../src/core/timing.js';
import { PostgresQueryError, PostgresUnavailableError } from './errors.js';

/** A notification as node-postgres delivers it. */
export interface PgNotification {
  readonly channel: string;
  readonly payload?: string;
}

/** A dedicated client (the listener), made with the pool's own Client class and options. */
export interface PgClientLike {
  /** Opens the connection. */
  connect(): Promise<unknown>;
  /** Runs one statement (`LISTEN "<channel>"`). */
  query(text: string): Promise<unknown>;
  /** `notification` for each NOTIFY on a channel we listen on; `error` and `end` when the connection fails or closes. */
  on(event: 'notification' | 'error' | 'end', listener: (...args: never[]) => void): unknown;
  /** Closes the connection. */
  end(): Promise<void>;
  /** node-postgres's connection: its socket is unref'd while nobody waits, so an idle listener never holds the process. */
  readonly connection?: { readonly stream?: PgSocketLike };
}

/** The part of a listener's socket zk-recipes uses. */
export interface PgSocketLike {
  /** Lets the socket keep the process alive again (a waiter came). */
  ref?(): unknown;
  /** Lets the process exit while only this socket is open (nobody waits). */
  unref?(): unknown;
}

/** The part of a `pg.Pool` zk-recipes uses. */
export interface PgPoolLike {
  /** Runs one statement on a pooled connection. */
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  /** The pool's connection options (for the listener's own client). */
  readonly options: object;
  /** The pool's Client class (node-postgres sets it on every pool; its type declarations omit it). */
  readonly Client?: new (
    options: object,
  ) => PgClientLike;
  /** True once `end()` was called (node-postgres's pool sets it). */
  readonly ending?: boolean;
}

/** True once the user ended the pool: it will not serve again. */
export function poolEnded(pool: PgPoolLike): boolean {
  return pool.ending === true;
}

/** The listener's client class of `pool`. */
export function clientClassOf(pool: PgPoolLike): new (options: object) => PgClientLike {
  if (typeof pool.Client !== 'function')
    throw new InvalidArgumentError('pool must be a node-postgres pool: it has no Client class for the listener.');
  return pool.Client;
}

/** Throws unless `pool` looks like a `pg.Pool`. */
export function checkPool(pool: unknown): PgPoolLike {
  const p = pool as Partial<PgPoolLike> | null;
  if (!p || typeof p.query !== 'function' || typeof p.Client !== 'function' || typeof p.options !== 'object') {
    throw new InvalidArgumentError('pool must be a node-postgres pool (new Pool() from the `pg` package).');
  }
  return pool as PgPoolLike;
}

/** SQLSTATE classes that mean "the database cannot serve us right now": connection, shutdown, too many connections. */
function isConnectionProblem(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return true; // a socket error (ECONNREFUSED, terminated)
  return code.startsWith('08') || code.startsWith('57P') || code === '53300';
}

const deadlines = new DeadlineTimer();

/**
 * 40001 (serialization failure) and 40P01 (deadlock detected): PostgreSQL rolled the whole
 * transaction back and asks for it again. Under a session default of REPEATABLE READ or
 * SERIALIZABLE the snapshot is taken before our function waits for the lock name's advisory lock,
 * so contended calls meet these; each call is one transaction, safe to run again.
 */
const RETRY_STATES = new Set(['40001', '40P01']);

/**
 * Runs one statement, rejecting with PostgresUnavailableError at `deadline` (epoch ms) or on a
 * connection problem, ClientClosedError once the pool is ended; a serialization failure or a
 * deadlock is run again within the deadline.
 */
export async function queryBy(
  pool: PgPoolLike,
  text: string,
  values: unknown[],
  deadline: number,
  what: string,
): Promise<Record<string, unknown>[]> {
  let backoffMs = 2;
  for (;;) {
    try {
      return await queryOnce(pool, text, values, deadline, what);
    } catch (error) {
      const code = (error as { cause?: { code?: unknown } }).cause?.code;
      const left = deadline - Date.now();
      if (!(error instanceof PostgresQueryError) || typeof code !== 'string' || !RETRY_STATES.has(code) || left <= 0) throw error;
      await sleep(Math.min(left, backoffMs * (0.5 + Math.random())));
      backoffMs = Math.min(backoffMs * 2, 100);
    }
  }
}

function endedError(what: string, cause?: unknown): ClientClosedError {
  return new ClientClosedError(what, 'the pg pool was ended (pool.end()). Create a new pool to go on.', { cause });
}

function queryOnce(pool: PgPoolLike, text: string, values: unknown[], deadline: number, what: string): Promise<Record<string, unknown>[]> {
  if (poolEnded(pool)) return Promise.reject(endedError(what));
  return new Promise((resolve, reject) => {
    let settled = false;
    const remove = deadlines.addAt(deadline, () => {
      if (settled) return;
      settled = true;
      reject(new PostgresUnavailableError(`${what}: PostgreSQL did not answer in time.`));
    });
    pool.query(text, values).then(
      (result) => {
        if (settled) return;
        settled = true;
        remove();
        resolve(result.rows);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        remove();
        if (poolEnded(pool)) reject(endedError(what, error));
        else
          reject(
            isConnectionProblem(error)
              ? new PostgresUnavailableError(`${what}: ${(error as Error)?.message ?? String(error)}`, { cause: error })
              : new PostgresQueryError(what, { cause: error }),
          );
      },
    );
  });
}
