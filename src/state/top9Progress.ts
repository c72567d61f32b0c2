/** Progress of a top-9 scan for people: images done, throughput and time left. Pure, unit-tested. */

export interface ScanClock {
  /** Images already done when this run (a fresh scan or a resume) started. */
  startDone: number;
  /** performance.now() when it started. */
  startedAt: number;
}

export interface ScanProgress {
  done: number;
  total: number;
  /** 0..1 */
  fraction: number;
  /** Images per second in this run, or null before the first batch. */
  rate: number | null;
  /** Estimated milliseconds left, or null while unknown. */
  etaMs: number | null;
}

/**
 * Progress after `done` of `total` images at time `now`. The rate counts only the images of this run, so a
 * resumed scan does not claim the images of an earlier session as instant.
 */
export function scanProgress(done: number, total: number, clock: ScanClock, now: number): ScanProgress {
  const safeTotal = Math.max(0, total);
  const clamped = Math.min(Math.max(0, done), safeTotal);
  const fraction = safeTotal > 0 ? clamped / safeTotal : 0;
  const ran = clamped - clock.startDone;
  const seconds = (now - clock.startedAt) / 1000;
  const rate = ran > 0 && seconds > 0 ? ran / seconds : null;
  const etaMs = rate !== null ? ((safeTotal - clamped) / rate) * 1000 : clamped >= safeTotal ? 0 : null;
  return { done: clamped, total: safeTotal, fraction, rate, etaMs };
}

/** "45 s", "3 min 05 s", "2 h 07 min"; "<1 s" under a second. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  if (s < 1) return '<1 s';
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** Images per second with sensible precision: "0.42", "3.7", "128". */
export function formatRate(rate: number): string {
  if (rate >= 100) return String(Math.round(rate));
  if (rate >= 1) return rate.toFixed(1);
  return rate.toPrecision(2);
}

/** "48/200 images · 3.7 images/s · 41 s left" (the parts known so far). */
export function progressText(p: ScanProgress): string {
  const parts = [`${p.done}/${p.total} images`];
  if (p.rate !== null) parts.push(`${formatRate(p.rate)} images/s`);
  if (p.done < p.total && p.etaMs !== null) parts.push(`${formatDuration(p.etaMs)} left`);
  return parts.join(' · ');
}
