/**
 * What a wait has learned about why it still waits — the holder or the node ahead of it, the last
 * error a look at the server met — so that the error it ends with, and the "still waiting" report
 * of a long wait, can say it (docs/design.md §4). The engine writes; the ownership layer reads.
 */
export interface WaitTrace {
  /** Who or what the wait is behind, in words (e.g. `held by web-3:4121, lease 8000 ms left`). */
  blockedOn?: string;
  /** The last error a look met; cleared when the server answers again. */
  lastError?: unknown;
}

/** The message of an error, or the value in words. */
export function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

/** `blockedOn`, with the server's silence named when the last look failed. */
export function describeBlock(trace: WaitTrace | undefined): string | undefined {
  if (!trace) return undefined;
  if (trace.lastError !== undefined) {
    const why = `the last look failed: ${errorText(trace.lastError)}`;
    return trace.blockedOn ? `${trace.blockedOn}; ${why}` : why;
  }
  return trace.blockedOn;
}
