/** Numbers and agreement badges of the "How it works" tab (pure: no React, no worker). */
import { compareValues, type Nested } from '../../engine/plain';

/** A number for a table cell: whole numbers as they are, others to 6 significant digits (float32 noise hidden). */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Object.is(v, -0) || v === 0) return '0';
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(6)));
}

/** A typed number, or null where the text is not one (empty, "-", "1e", letters). */
export function parseNumber(text: string): number | null {
  const t = text.trim().replace(/^\u2212/, '-');
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return null;
  const v = Number(t);
  return Number.isFinite(v) ? v : null;
}

export type BadgeState = 'equal' | 'differs' | 'pending' | 'error';

export interface Badge {
  state: BadgeState;
  text: string;
}

/** Whether the engine's result equals the numbers the seed printed (exactly: they are whole numbers). */
export function seedBadge(
  engine: Nested | null,
  seed: Nested,
  pending: boolean,
  error: string | null,
): Badge {
  if (error) return { state: 'error', text: `engine failed: ${error}` };
  if (pending || engine === null) return { state: 'pending', text: 'engine computing…' };
  return compareValues(engine, seed).exact
    ? { state: 'equal', text: 'engine = the seed’s printed values' }
    : { state: 'differs', text: 'engine ≠ the seed’s printed values (numbers edited: reset to compare)' };
}

/**
 * Whether the step-by-step loop (float64) gives the engine's result (float32): exactly, or within `tolerance`
 * (rounding of non-whole inputs), or not.
 */
export function agreementBadge(
  what: string,
  steps: Nested | null,
  engine: Nested | null,
  tolerance: number,
  pending: boolean,
  error: string | null,
): Badge {
  if (error) return { state: 'error', text: `engine failed: ${error}` };
  if (steps === null) return { state: 'error', text: `${what}: the numbers do not fit this example` };
  if (pending || engine === null) return { state: 'pending', text: 'engine computing…' };
  const a = compareValues(steps, engine, tolerance);
  if (a.exact) return { state: 'equal', text: `${what} = engine, exactly` };
  if (a.equal)
    return {
      state: 'equal',
      text: `${what} = engine within float32 rounding (largest difference ${a.maxDiff.toPrecision(2)})`,
    };
  return { state: 'differs', text: `${what} ≠ engine (largest difference ${formatNumber(a.maxDiff)})` };
}
