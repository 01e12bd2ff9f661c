/** Records leadership of several latches/selectors and checks that it never overlaps. */
import type { LeaderLatch } from '../../recipes/index.js';

export class LeadershipRecorder {
  readonly intervals: { who: string; start: number; end?: number }[] = [];
  /** Times at which two or more participants reported leadership at once. */
  readonly overlaps: string[] = [];
  readonly #latches: { who: string; latch: LeaderLatch }[] = [];

  track(who: string, latch: LeaderLatch): void {
    this.#latches.push({ who, latch });
    latch.on('isLeader', () => {
      const others = this.#latches.filter((l) => l.latch !== latch && l.latch.hasLeadership()).map((l) => l.who);
      if (others.length > 0) this.overlaps.push(`${who} became leader while ${others.join(', ')} led`);
      this.intervals.push({ who, start: Date.now() });
    });
    latch.on('notLeader', () => {
      const open = this.intervals.findLast((i) => i.who === who && i.end === undefined);
      if (open) open.end = Date.now();
    });
  }

  leaders(): string[] {
    return this.#latches.filter((l) => l.latch.hasLeadership()).map((l) => l.who);
  }

  /** Intervals that overlap in time (by the recorder's clock). */
  overlappingIntervals(): string[] {
    const sorted = [...this.intervals].sort((a, b) => a.start - b.start);
    const out: string[] = [];
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1]!;
      const cur = sorted[i]!;
      if (prev.end === undefined || prev.end > cur.start)
        out.push(`${prev.who} [${prev.start},${prev.end}] overlaps ${cur.who} from ${cur.start}`);
    }
    return out;
  }
}
