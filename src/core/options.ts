/**
 * Option bags checked at runtime: TypeScript catches a misspelled option, JavaScript does not, and
 * a silently ignored `tiemoutMs` is a wait without a limit. Every public option bag lists its keys
 * once, as a record the compiler keeps complete (`Record<keyof Required<T>, true>`).
 */
import { InvalidArgumentError } from './errors.js';

/** Every key of an options type, as a record: adding an option without listing it fails to compile. */
export type OptionKeys<T> = Record<keyof Required<T>, true>;

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions: `burts` → `burst`). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] as number[];
    const up = d[i - 1] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

const singular = (word: string) => word.replace(/ies$/, 'y').replace(/s$/, '');

/** The known key `unknown` most likely meant, if one is close (a typo, a case slip, a missing `Ms`). */
export function closestKey(unknown: string, known: readonly string[]): string | undefined {
  const lower = unknown.toLowerCase();
  let best: { key: string; score: number } | undefined;
  for (const key of known) {
    const k = key.toLowerCase();
    let score = distance(lower, k);
    if (k.startsWith(lower) || lower.startsWith(k)) score = Math.min(score, 1); // sessionTimeout → sessionTimeoutMs
    if (lower.includes(k) || k.includes(lower)) score = Math.min(score, 2); // tableName → table
    if (singular(lower) === singular(k)) score = Math.min(score, 1); // maxRetry → maxRetries
    if (score <= Math.max(2, Math.floor(k.length / 4)) && (!best || score < best.score)) best = { key, score };
  }
  return best?.key;
}

/**
 * Throws {@link InvalidArgumentError} when `options` is not an object, or has a key `known` does
 * not list (naming the closest known key). `undefined` passes: every option bag is optional.
 */
export function checkOptionKeys<T>(where: string, options: T | undefined, known: OptionKeys<T>): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new InvalidArgumentError(`${where} must be an object of options, got ${describeValue(options)}.`);
  const keys = Object.keys(known);
  for (const key of Object.keys(options)) {
    if (key in known) continue;
    const near = closestKey(key, keys);
    throw new InvalidArgumentError(
      `${where}: unknown option "${key}"${near ? ` — did you mean "${near}"?` : '.'} Known options: ${keys.join(', ')}.`,
    );
  }
}

/** A value as an error message should show it: a string quoted and called one ("5000" is not 5000). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'bigint') return `${value}n (a bigint)`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'function') return 'a function';
  return String(value);
}
