/**
 * Typed errors of the Redis backend. Like every zk-recipes error, each is a ZkRecipesError with a
 * stable `code` and a message that says what to do.
 */
import { ZkRecipesError } from '../src/core/errors.js';

/** Redis could not be reached, or did not answer within the call's deadline. Transient unless the client was closed. */
export class RedisUnavailableError extends ZkRecipesError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('REDIS_UNAVAILABLE', message, options);
  }
}

/**
 * Redis answered BUSY until the call's deadline: another client's script ran past
 * `busy-reply-threshold` (`lua-time-limit`). `SCRIPT KILL` stops a script that has not written;
 * one that wrote can only be stopped by `SHUTDOWN NOSAVE`.
 */
export class RedisBusyError extends ZkRecipesError {
  constructor(what: string, waitedMs: number) {
    super(
      'REDIS_BUSY',
      `${what}: Redis answered BUSY for ${waitedMs} ms — another client's script is running past busy-reply-threshold. Find it (SLOWLOG, the script's author) and stop it with SCRIPT KILL.`,
    );
  }
}

/** Redis answered an error we do not handle (e.g. the key holds another type, a NOPERM ACL). */
export class RedisCommandError extends ZkRecipesError {
  constructor(what: string, options: { cause: unknown }) {
    super('REDIS_ERROR', `${what}: Redis answered ${String((options.cause as Error)?.message ?? options.cause)}.`, options);
  }
}
