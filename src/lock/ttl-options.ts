/**
 * The options every TTL lock (Redis, PostgreSQL) shares, and their validation before anything is
 * sent: one place, so the backends say the same thing about the same mistake.
 */
import { hostname } from 'node:os';
import { checkLogger, type Logger, SILENT_LOGGER } from '../core/diagnostics.js';
import { InvalidArgumentError } from '../core/errors.js';
import { checkTimeoutMs } from '../core/limits.js';
import { describeValue } from '../core/options.js';

/** Options of every TTL lock. */
export interface TtlLockOptions {
  /** The lease's TTL on the server; the watchdog renews it every ttlMs/3 while held. @default 30000 */
  readonly ttlMs?: number;
  /** Subtracted from the local deadline by which `lease.signal` aborts when no renewal got through. @default ttlMs/100 + 2 */
  readonly driftMs?: number;
  /** Deadline of each call to the server. A try answers within it. @default 5000 */
  readonly operationTimeoutMs?: number;
  /** Who holds or waits, and why: shown by `inspect()`, the CLI and wait reports. At most 200 bytes. @default '<host>:<pid>' */
  readonly memo?: string;
  /** Where the lock reports a long wait (info) and a lost lease (warn) — anything with debug/info/warn/error, e.g. `console` or pino. @default silent */
  readonly logger?: Logger;
  /** A wait still waiting after this many ms is reported once (`zk-recipes:acquire:slow` and `logger.info`), naming the holder; 0 never. @default 10000 */
  readonly slowWaitMs?: number;
}

/** The shared options, resolved. */
export interface ResolvedTtlOptions {
  readonly ttlMs: number;
  readonly driftMs: number;
  readonly operationTimeoutMs: number;
  readonly memo: string;
  readonly logger: Logger;
  readonly slowWaitMs: number;
}

/** Checks a memo: a string of at most 200 bytes without NUL (PostgreSQL text cannot hold one). */
export function checkMemo(memo: unknown): string {
  if (typeof memo !== 'string') throw new InvalidArgumentError(`memo must be a string, got ${describeValue(memo)}.`);
  if (Buffer.byteLength(memo) > 200) throw new InvalidArgumentError(`memo may be at most 200 bytes, got ${Buffer.byteLength(memo)}.`);
  if (memo.includes('\0')) throw new InvalidArgumentError('memo may not contain a NUL character.');
  return memo;
}

/** Validates the shared options (the caller has checked the option keys). */
export function resolveTtlOptions(options: TtlLockOptions): ResolvedTtlOptions {
  const ttlMs = checkTimeoutMs('ttlMs', options.ttlMs ?? 30_000, 50);
  const driftMs = checkTimeoutMs('driftMs', options.driftMs ?? Math.floor(ttlMs / 100) + 2);
  if (driftMs >= ttlMs / 3) throw new InvalidArgumentError(`driftMs (${driftMs}) must be well below ttlMs/3 (${Math.floor(ttlMs / 3)}).`);
  return {
    ttlMs,
    driftMs,
    operationTimeoutMs: checkTimeoutMs('operationTimeoutMs', options.operationTimeoutMs ?? 5000, 10),
    memo: checkMemo(options.memo ?? `${hostname()}:${process.pid}`),
    logger: options.logger === undefined ? SILENT_LOGGER : checkLogger(options.logger),
    slowWaitMs: checkTimeoutMs('slowWaitMs', options.slowWaitMs ?? 10_000),
  };
}
