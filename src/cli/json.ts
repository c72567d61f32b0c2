/** JSON for people and scripts: indented, but short objects and arrays of plain values stay on one line. */

const INLINE_WIDTH = 100;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isPlain(value: unknown): boolean {
  return value === null || typeof value !== 'object';
}

function inline(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(inline).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${inline(v)}`).join(', ')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** One level deep at most: arrays of plain values, or objects whose values are plain or arrays of plain values. */
function isFlat(value: unknown): boolean {
  if (isPlain(value)) return true;
  const children = Array.isArray(value) ? value : Object.values(value as object);
  return children.every((c) => isPlain(c) || (Array.isArray(c) && c.every(isPlain)));
}

function format(value: unknown, indent: string): string {
  if (isPlain(value)) return inline(value);
  if (isFlat(value)) {
    const text = inline(value);
    // A long list of plain values stays on one line; a long matrix gets one row per line.
    if (text.length + indent.length <= INLINE_WIDTH || (Array.isArray(value) && value.every(isPlain)))
      return text;
  }
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => inner + format(v, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as object).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  const lines = entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${format(v, inner)}`);
  return `{\n${lines.join(',\n')}\n${indent}}`;
}

/** `value` as JSON text ending in a newline. */
export function formatJson(value: Json | object): string {
  return format(value, '') + '\n';
}
