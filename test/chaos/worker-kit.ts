/**
 * What both chaos workers share: JSON events on stdout, unhandled rejections reported, a deadline
 * no single step may outlive, and the fenced store's HTTP calls.
 */

/** Writes one JSON event line for the harness. */
export function emitter(id: string): (event: string, extra?: Record<string, unknown>) => void {
  return (event, extra = {}) => process.stdout.write(`${JSON.stringify({ t: Date.now(), id, event, ...extra })}\n`);
}

/** Reports an unhandled rejection as a violation (and exits 3). */
export function reportUnhandled(emit: ReturnType<typeof emitter>): void {
  process.on('unhandledRejection', (reason) => {
    emit('unhandled', { reason: String(reason) });
    process.exit(3);
  });
}

const OP_DEADLINE_MS = 60_000; // no single step may take this long, whatever the faults

/** Races `work` against the step deadline; a step past it is reported as hung. */
export async function withDeadline<T>(emit: ReturnType<typeof emitter>, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      emit('hung', { what });
      reject(new Error(`${what} hung`));
    }, OP_DEADLINE_MS);
  });
  try {
    return await Promise.race([work, hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** One call to the fenced store (GET without a body, POST with one). */
export async function storeCall(port: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: body ? 'POST' : 'GET',
    body: body ? JSON.stringify(body) : undefined,
  });
  return (await res.json()) as Record<string, unknown>;
}
