/** Percentiles and summaries for benchmark samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

export function mean(samples: readonly number[]): number {
  return samples.length === 0 ? Number.NaN : samples.reduce((a, b) => a + b, 0) / samples.length;
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

/** Rounds for display: 3 significant decimals below 10, else 1 decimal. */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  return Math.abs(value) < 10 ? Math.round(value * 1000) / 1000 : Math.round(value * 10) / 10;
}

/** Median, min and max of each figure over reps. */
export type Summary = Record<string, { median: number; min: number; max: number }>;

/** Summarises the runs of one workload: each figure's median with min–max. */
export function summarize(runs: readonly Record<string, number>[]): Summary {
  const keys = Object.keys(runs[0] ?? {});
  return Object.fromEntries(
    keys.map((k) => {
      const xs = runs.map((r) => r[k] ?? Number.NaN);
      return [k, { median: round(median(xs)), min: round(Math.min(...xs)), max: round(Math.max(...xs)) }];
    }),
  );
}

/** A table cell: the median, with min–max when there were several reps. */
export function cell(x: { median: number; min: number; max: number } | undefined, reps: number): string {
  return x === undefined ? '–' : reps > 1 ? `${x.median} (${x.min}–${x.max})` : `${x.median}`;
}
