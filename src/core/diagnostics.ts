/**
 * Observability without a hard dependency: events on `node:diagnostics_channel` that APM tools
 * can subscribe to, and a pluggable logger (silent by default).
 *
 * ```ts
 * import { subscribeDiagnostics } from 'zk-recipes';
 * const unsubscribe = subscribeDiagnostics('zk-recipes:acquire:end', (m) => metrics.timing('lock.wait', m.waitMs));
 * ```
 */
import diagnostics_channel from 'node:diagnostics_channel';
import { InvalidArgumentError } from './errors.js';

/** Payloads of every channel, by channel name. */
export interface DiagnosticsMessages {
  /** A wait for a lock, lease or semaphore lease begins. */
  'zk-recipes:acquire:start': { recipe: string; path: string };
  /**
   * A wait has lasted longer than its `slowWaitMs` (published once per wait): who holds what it
   * waits for, as far as the backend can tell, and how long it has waited.
   */
  'zk-recipes:acquire:slow': { recipe: string; path: string; waitedMs: number; holder?: string };
  /** It ended: granted (`ok`) or not (timeout, abort, error), after `waitMs`. */
  'zk-recipes:acquire:end': { recipe: string; path: string; ok: boolean; waitMs: number; nodePath?: string; error?: unknown };
  /** A lease was released after `holdMs`. */
  'zk-recipes:release': { path: string; nodePath: string; holdMs: number };
  /** A lease's signal aborted because ownership can no longer be guaranteed. */
  'zk-recipes:lease:lost': { path: string; nodePath: string; state: string };
  /** A participant gained or lost leadership. */
  'zk-recipes:leadership': { recipe: string; path: string; id: string; leader: boolean };
  /** A client changed connection state. */
  'zk-recipes:connection': { state: string; sessionId: string | undefined; connectString: string };
}

/** A channel name zk-recipes publishes on. */
export type DiagnosticsChannel = keyof DiagnosticsMessages;

/** Every channel name zk-recipes publishes on. */
export const DIAGNOSTICS_CHANNELS: readonly DiagnosticsChannel[] = [
  'zk-recipes:acquire:start',
  'zk-recipes:acquire:slow',
  'zk-recipes:acquire:end',
  'zk-recipes:release',
  'zk-recipes:lease:lost',
  'zk-recipes:leadership',
  'zk-recipes:connection',
];

const channels = new Map(DIAGNOSTICS_CHANNELS.map((name) => [name, diagnostics_channel.channel(name)]));

/** Publishes `message` on `name` when someone listens (costs nothing otherwise). */
export function publish<K extends DiagnosticsChannel>(name: K, message: DiagnosticsMessages[K]): void {
  const channel = channels.get(name);
  if (channel?.hasSubscribers) channel.publish(message);
}

/**
 * Subscribes `listener` to one channel with its payload typed (the same as
 * `diagnostics_channel.subscribe`, which also works); returns the unsubscribe function.
 */
export function subscribeDiagnostics<K extends DiagnosticsChannel>(
  name: K,
  listener: (message: DiagnosticsMessages[K]) => void,
): () => void {
  const handler = (message: unknown) => listener(message as DiagnosticsMessages[K]);
  diagnostics_channel.subscribe(name, handler);
  return () => {
    diagnostics_channel.unsubscribe(name, handler);
  };
}

/** A logger: pass `console`, pino, winston… Library code never writes to the console itself. */
export interface Logger {
  /** Detail for debugging. */
  debug(message: string, context?: Record<string, unknown>): void;
  /** Connection state changes, leadership changes. */
  info(message: string, context?: Record<string, unknown>): void;
  /** Lost ownership and similar. */
  warn(message: string, context?: Record<string, unknown>): void;
  /** Failures. */
  error(message: string, context?: Record<string, unknown>): void;
}

const noop = () => {};

/** Checks a user's logger (it must have the four methods) before anything is logged to it. */
export function checkLogger(logger: unknown, where = 'logger'): Logger {
  const methods = ['debug', 'info', 'warn', 'error'] as const;
  const missing = methods.filter((m) => typeof (logger as Record<string, unknown> | null)?.[m] !== 'function');
  if (logger === null || typeof logger !== 'object' || missing.length > 0)
    throw new InvalidArgumentError(
      `${where} must have debug, info, warn and error methods (console and pino do); missing: ${missing.join(', ')}.`,
    );
  return logger as Logger;
}

/** The default logger: says nothing. */
export const SILENT_LOGGER: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });
