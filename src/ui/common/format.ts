/**
 * Numbers as the views print them (pure: no React). One rule each: a tile's or cell's value, a more precise
 * value (curves, evolution tiles), a chart's tick, a duration, a byte count.
 */

/** `v` to `digits` significant digits between 1e-3 and 1e4, else in exponent form with `expDigits` decimals. */
export function formatSignificant(v: number, digits: number, expDigits: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e4 ? String(Number(v.toPrecision(digits))) : v.toExponential(expDigits);
}

/** An activation or score on a tile or in a cell: 3 significant digits. */
export function formatValue(v: number): string {
  return formatSignificant(v, 3, 2);
}

/** A value read off a curve or a tile's title, where a fourth digit tells neighbours apart. */
export function formatPrecise(v: number): string {
  return formatSignificant(v, 4, 3);
}

/** An axis tick: short, 4 significant digits or one decimal of exponent form. */
export function formatTick(v: number): string {
  return formatSignificant(v, 4, 1);
}

/** How long something took: milliseconds below a second, else seconds to one decimal. */
export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** A byte count in B, kB, MB or GB. */
export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)} kB`;
  return `${n} B`;
}
