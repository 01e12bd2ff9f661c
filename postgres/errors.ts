/**
 * Typed errors of the PostgreSQL backend; each a ZkRecipesError with a stable `code` and a message
 * that says what to do.
 */
import { ZkRecipesError } from '../src/core/errors.js';

/** The database could not be reached, or did not answer within the call's deadline. Transient. */
export class PostgresUnavailableError extends ZkRecipesError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('POSTGRES_UNAVAILABLE', message, options);
  }
}

function hint(code: string | undefined): string {
  if (code === '42883' || code === '42P01') return ' — the lock table is missing: run lockDdl() in a migration, or leave createTable on.';
  if (code === '42501') {
    return (
      ' — this role lacks a privilege. If it may not create the lock objects, have their owner run lockDdl() once (a migration) and pass createTable: false;' +
      ' grant this role SELECT, INSERT, UPDATE, DELETE on the table and its _queue, USAGE on the sequences and EXECUTE on the four functions.'
    );
  }
  return '.';
}

/** The database answered an error we do not handle (a missing table or function, a permission). */
export class PostgresQueryError extends ZkRecipesError {
  constructor(what: string, options: { cause: unknown }) {
    const cause = options.cause as { message?: string; code?: string };
    super(
      'POSTGRES_ERROR',
      `${what}: PostgreSQL answered ${cause?.code ? `${cause.code} ` : ''}${cause?.message ?? String(options.cause)}${hint(cause?.code)}`,
      options,
    );
  }
}
