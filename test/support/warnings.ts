/** Collects process warnings while `fn` runs (the library must print none). */
export async function warningsDuring(fn: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const onWarning = (w: Error) => seen.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  try {
    await fn();
    await new Promise((r) => setTimeout(r, 100));
  } finally {
    process.off('warning', onWarning);
  }
  return seen;
}
