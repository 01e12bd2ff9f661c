/**
 * Typed errors of the PostgreSQL backend; each a ZkRecipesError with a stable `code` and a message
 * that says what to do.
 */
import { ZkRecipesError } from '../src/errors.js';

/** The database could not be reached, or did not answer within the call's deadline. Transient. */
export class PostgresUnavailableError extends ZkRecipesError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('POSTGRES_UNAVAILABLE', message, options);
  }
}

/** The database answered an error we do not handle (a missing table or function, a permission). */
export class PostgresQueryError extends ZkRecipesError {
  constructor(what: string, options: { cause: unknown }) {
    const cause = options.cause as { message?: string; code?: string };
    const missing = cause?.code === '42883' || cause?.code === '42P01';
    super(
      'POSTGRES_ERROR',
      `${what}: PostgreSQL answered ${cause?.code ? `${cause.code} ` : ''}${cause?.message ?? String(options.cause)}${
        missing ? ' — the lock table is missing: run lockDdl() in a migration, or leave createTable on.' : '.'
      }`,
      options,
    );
  }
}
