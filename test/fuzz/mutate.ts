/**
 * Seeded mutations for the importer fuzz test: generic byte mutations, protobuf-wire-aware ones (length and
 * varint fields rewritten, wire types changed, floats replaced by NaN / Inf) and text mutations for prototxt
 * and model.json. Every mutator takes the case's Rng, so a (seed, case index) pair reproduces a file exactly.
 */
import type { Rng } from '../../src/engine/model/random';

export interface Mutated<T> {
  value: T;
  /** What was done, for the failure report. */
  what: string;
}

/**
 * A plain copy. Never `copyBytes(bytes)`: protobufjs returns Node Buffers in Node, and Buffer#slice is a view,
 * so mutating its "copy" would corrupt the base model for every later case.
 */
export function copyBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(bytes.byteLength);
  out.set(bytes);
  return out;
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  const item = items[rng.int(items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

// ---------------------------------------------------------------------------------------------------------
// Protobuf wire format

/** Encodes a non-negative integer (up to 2^64 - 1, as a bigint) as a protobuf varint. */
export function varint(value: bigint): Uint8Array {
  const out: number[] = [];
  let v = value & 0xffffffffffffffffn;
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return new Uint8Array(out);
}

interface Varint {
  value: bigint;
  end: number;
}

function readVarint(bytes: Uint8Array, pos: number, end: number): Varint | null {
  let value = 0n;
  for (let shift = 0n; shift < 70n; shift += 7n) {
    if (pos >= end) return null;
    const b = bytes[pos++]!;
    value |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return { value, end: pos };
  }
  return null;
}

/** One field found by walking the wire format. */
export interface WireField {
  tagStart: number;
  /** End of the tag varint (where the value or length starts). */
  tagEnd: number;
  field: number;
  wire: number;
  /** For varints: the value's bytes; for length-delimited fields: the length varint's bytes. */
  numStart: number;
  numEnd: number;
  /** Payload of a length-delimited field (empty for other wire types). */
  payloadStart: number;
  payloadEnd: number;
  depth: number;
}

/**
 * Every field of a serialized message, recursing into length-delimited payloads that parse as messages
 * themselves (best effort: packed floats sometimes parse too, which only adds mutation targets).
 */
export function walkWire(bytes: Uint8Array, maxFields = 20000): WireField[] {
  const fields: WireField[] = [];
  const walk = (start: number, end: number, depth: number): boolean => {
    const found: WireField[] = [];
    let pos = start;
    while (pos < end) {
      const tag = readVarint(bytes, pos, end);
      if (!tag || tag.value === 0n) return false;
      const field = Number(tag.value >> 3n);
      const wire = Number(tag.value & 7n);
      const f: WireField = {
        tagStart: pos,
        tagEnd: tag.end,
        field,
        wire,
        numStart: tag.end,
        numEnd: tag.end,
        payloadStart: tag.end,
        payloadEnd: tag.end,
        depth,
      };
      if (wire === 0) {
        const v = readVarint(bytes, tag.end, end);
        if (!v) return false;
        f.numEnd = v.end;
        pos = v.end;
      } else if (wire === 1 || wire === 5) {
        pos = tag.end + (wire === 1 ? 8 : 4);
        if (pos > end) return false;
      } else if (wire === 2) {
        const len = readVarint(bytes, tag.end, end);
        if (!len || len.value > BigInt(end - len.end)) return false;
        f.numEnd = len.end;
        f.payloadStart = len.end;
        f.payloadEnd = len.end + Number(len.value);
        pos = f.payloadEnd;
      } else {
        return false;
      }
      found.push(f);
    }
    if (fields.length + found.length > maxFields) return true;
    fields.push(...found);
    if (depth < 8) {
      for (const f of found) {
        if (f.wire === 2 && f.payloadEnd - f.payloadStart >= 2) walk(f.payloadStart, f.payloadEnd, depth + 1);
      }
    }
    return true;
  };
  walk(0, bytes.byteLength, 0);
  return fields;
}

function splice(bytes: Uint8Array, start: number, end: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.byteLength - (end - start) + insert.byteLength);
  out.set(bytes.subarray(0, start), 0);
  out.set(insert, start);
  out.set(bytes.subarray(end), start + insert.byteLength);
  return out;
}

/** Values for a rewritten varint / length: huge, negative (10-byte two's complement), off by one, zero. */
const HUGE_VARINTS: { label: string; value: (old: bigint) => bigint }[] = [
  { label: '0', value: () => 0n },
  { label: 'old+1', value: (o) => o + 1n },
  { label: 'old-1', value: (o) => (o > 0n ? o - 1n : 0n) },
  { label: 'old*2', value: (o) => o * 2n + 1n },
  { label: '2^31-1', value: () => 2n ** 31n - 1n },
  { label: '2^31', value: () => 2n ** 31n },
  { label: '2^32+7', value: () => 2n ** 32n + 7n },
  { label: '2^40', value: () => 2n ** 40n },
  { label: '2^53+1', value: () => 2n ** 53n + 1n },
  { label: '2^63-1', value: () => 2n ** 63n - 1n },
  { label: '-1', value: () => 2n ** 64n - 1n },
  { label: '-2^31', value: () => 2n ** 64n - 2n ** 31n },
];

/** Rewrites a varint or length field; `fields` from walkWire. */
export function mutateWireNumber(rng: Rng, bytes: Uint8Array, fields: WireField[]): Mutated<Uint8Array> {
  const targets = fields.filter((f) => f.wire === 0 || f.wire === 2);
  if (targets.length === 0) return byteMutation(rng, bytes);
  const f = pick(rng, targets);
  const old = readVarint(bytes, f.numStart, f.numEnd)?.value ?? 0n;
  const choice = pick(rng, HUGE_VARINTS);
  const kind = f.wire === 2 ? 'length' : 'varint';
  if (rng.int(6) === 0) {
    // An unterminated varint: continuation bits all the way.
    return {
      value: splice(bytes, f.numStart, f.numEnd, new Uint8Array(11).fill(0xff)),
      what: `${kind} of field ${f.field} @${f.numStart} -> unterminated 11-byte varint`,
    };
  }
  return {
    value: splice(bytes, f.numStart, f.numEnd, varint(choice.value(old))),
    what: `${kind} of field ${f.field} (depth ${f.depth}) @${f.numStart}: ${old} -> ${choice.label}`,
  };
}

/** Changes a tag's wire type or field number. */
export function mutateWireTag(rng: Rng, bytes: Uint8Array, fields: WireField[]): Mutated<Uint8Array> {
  if (fields.length === 0) return byteMutation(rng, bytes);
  const f = pick(rng, fields);
  const wire =
    rng.int(2) === 0
      ? pick(
          rng,
          [0, 1, 2, 3, 4, 5, 6, 7].filter((w) => w !== f.wire),
        )
      : f.wire;
  const field = wire === f.wire ? pick(rng, [1, 2, 3, 5, 7, 8, 9, 13, 100, 536870911]) : f.field;
  return {
    value: splice(bytes, f.tagStart, f.tagEnd, varint((BigInt(field) << 3n) | BigInt(wire))),
    what: `tag @${f.tagStart}: field ${f.field} wire ${f.wire} -> field ${field} wire ${wire}`,
  };
}

/** Puts NaN / Inf / huge floats into a length-delimited payload (packed or raw float data). */
export function mutateWireFloats(rng: Rng, bytes: Uint8Array, fields: WireField[]): Mutated<Uint8Array> {
  const targets = fields.filter((f) => f.wire === 2 && f.payloadEnd - f.payloadStart >= 16);
  if (targets.length === 0) return byteMutation(rng, bytes);
  const f = pick(rng, targets);
  const out = copyBytes(bytes);
  const view = new DataView(out.buffer);
  const special = pick(rng, [NaN, Infinity, -Infinity, 3.4e38, -0, 1e-45]);
  const n = 1 + rng.int(3);
  for (let i = 0; i < n; i++) {
    const slots = Math.floor((f.payloadEnd - f.payloadStart) / 4);
    view.setFloat32(f.payloadStart + 4 * rng.int(slots), special, true);
  }
  return { value: out, what: `${n} float(s) in field ${f.field} @${f.payloadStart} -> ${special}` };
}

// ---------------------------------------------------------------------------------------------------------
// Generic bytes

const SPECIAL_BYTES = [0x00, 0xff, 0x7f, 0x80, 0x08, 0x0a, 0x12, 0x1a, 0x22];

export function byteMutation(rng: Rng, bytes: Uint8Array): Mutated<Uint8Array> {
  const n = bytes.byteLength;
  const at = (): number => rng.int(Math.max(1, n));
  switch (rng.int(7)) {
    case 0: {
      const out = copyBytes(bytes);
      const k = 1 + rng.int(8);
      const where: number[] = [];
      for (let i = 0; i < k && n > 0; i++) {
        const p = at();
        out[p] = (out[p] ?? 0) ^ (1 << rng.int(8));
        where.push(p);
      }
      return { value: out, what: `bit flips @${where.join(',')}` };
    }
    case 1: {
      const out = copyBytes(bytes);
      const k = 1 + rng.int(6);
      const where: number[] = [];
      for (let i = 0; i < k && n > 0; i++) {
        const p = at();
        out[p] = rng.int(2) === 0 ? pick(rng, SPECIAL_BYTES) : rng.int(256);
        where.push(p);
      }
      return { value: out, what: `byte overwrites @${where.join(',')}` };
    }
    case 2: {
      const cut = rng.int(Math.max(1, n));
      return { value: copyBytes(bytes.subarray(0, cut)), what: `truncated at ${cut} of ${n}` };
    }
    case 3: {
      const p = at();
      const insert = new Uint8Array(1 + rng.int(16)).map(() => rng.int(256));
      return { value: splice(bytes, p, p, insert), what: `${insert.length} random bytes inserted @${p}` };
    }
    case 4: {
      const p = at();
      const len = 1 + rng.int(32);
      return {
        value: splice(bytes, p, Math.min(n, p + len), new Uint8Array(0)),
        what: `${len} bytes deleted @${p}`,
      };
    }
    case 5: {
      const from = at();
      const len = 1 + rng.int(64);
      const chunk = copyBytes(bytes.subarray(from, Math.min(n, from + len)));
      const to = at();
      return { value: splice(bytes, to, to, chunk), what: `bytes ${from}+${chunk.length} copied to @${to}` };
    }
    default: {
      const p = at();
      const len = 1 + rng.int(64);
      const fill = pick(rng, SPECIAL_BYTES);
      const out = copyBytes(bytes);
      out.fill(fill, p, Math.min(n, p + len));
      return { value: out, what: `${len} bytes @${p} set to 0x${fill.toString(16)}` };
    }
  }
}

/** A byte-level or wire-aware mutation of a protobuf file. */
export function protobufMutation(rng: Rng, bytes: Uint8Array, fields: WireField[]): Mutated<Uint8Array> {
  switch (rng.int(5)) {
    case 0:
    case 1:
      return mutateWireNumber(rng, bytes, fields);
    case 2:
      return mutateWireTag(rng, bytes, fields);
    case 3:
      return mutateWireFloats(rng, bytes, fields);
    default:
      return byteMutation(rng, bytes);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Text

const NUMBER_REPLACEMENTS = [
  '0',
  '-1',
  '-7',
  '3.5',
  '4294967295',
  '4294967296',
  '1099511627776',
  '99999999999999999999999',
  '1e400',
  '-1e400',
  'nan',
  'inf',
  '-0',
  '0x7fffffff',
];

/** Mutates protobuf text format (prototxt). */
export function textMutation(rng: Rng, text: string): Mutated<string> {
  const lines = text.split('\n');
  const line = (): number => rng.int(lines.length);
  switch (rng.int(12)) {
    case 0: {
      const matches = [...text.matchAll(/-?\d+(\.\d+)?(e-?\d+)?/g)];
      const m = matches.length > 0 ? pick(rng, matches) : undefined;
      if (!m || m.index === undefined) break;
      const to = pick(rng, NUMBER_REPLACEMENTS);
      return {
        value: text.slice(0, m.index) + to + text.slice(m.index + m[0].length),
        what: `number "${m[0]}" @${m.index} -> ${to}`,
      };
    }
    case 1: {
      const i = line();
      const removed = lines.splice(i, 1);
      return { value: lines.join('\n'), what: `line ${i + 1} deleted (${JSON.stringify(removed[0])})` };
    }
    case 2: {
      const i = line();
      lines.splice(i, 0, lines[i] ?? '');
      return { value: lines.join('\n'), what: `line ${i + 1} duplicated` };
    }
    case 3: {
      const i = line();
      const j = line();
      const a = lines[i] ?? '';
      lines[i] = lines[j] ?? '';
      lines[j] = a;
      return { value: lines.join('\n'), what: `lines ${i + 1} and ${j + 1} swapped` };
    }
    case 4: {
      const braces = [...text.matchAll(/[{}"]/g)];
      const m = braces.length > 0 ? pick(rng, braces) : undefined;
      if (!m || m.index === undefined) break;
      return {
        value: text.slice(0, m.index) + text.slice(m.index + 1),
        what: `"${m[0]}" @${m.index} deleted`,
      };
    }
    case 5: {
      const cut = rng.int(text.length);
      return { value: text.slice(0, cut), what: `truncated at ${cut} of ${text.length}` };
    }
    case 6: {
      // Rename a blob / layer name to another one in the file: cycles, duplicates, dangling bottoms.
      const strings = [...text.matchAll(/"([^"\n]*)"/g)];
      const m = strings.length > 0 ? pick(rng, strings) : undefined;
      const other = strings.length > 0 ? pick(rng, strings) : undefined;
      if (!m || m.index === undefined || !other) break;
      return {
        value: text.slice(0, m.index) + other[0] + text.slice(m.index + m[0].length),
        what: `string ${m[0]} @${m.index} -> ${other[0]}`,
      };
    }
    case 7: {
      const p = rng.int(text.length + 1);
      const junk = pick(rng, [
        '{',
        '}',
        '"',
        ':',
        '\0',
        '\u00ff',
        '#',
        '\\',
        'layer {',
        '\ud800',
        '{'.repeat(3000),
      ]);
      return {
        value: text.slice(0, p) + junk + text.slice(p),
        what: `${JSON.stringify(junk.slice(0, 8))} inserted @${p}`,
      };
    }
    case 8: {
      const to = pick(rng, ['layers', 'layer', 'input', 'bottom', 'top']);
      const from = pick(rng, ['layer', 'layers', 'bottom', 'top', 'type']);
      const i = text.indexOf(from);
      if (i < 0) break;
      return {
        value: text.slice(0, i) + to + text.slice(i + from.length),
        what: `first "${from}" -> "${to}"`,
      };
    }
    case 9: {
      const big = '9'.repeat(50000);
      return { value: text.replace(/\d+/, big), what: 'first number -> 50,000 digits' };
    }
    case 10: {
      const types = [...text.matchAll(/type: ("?[A-Za-z_]+"?)/g)];
      const m = types.length > 0 ? pick(rng, types) : undefined;
      if (!m || m.index === undefined) break;
      const to = pick(rng, [
        '"Eltwise"',
        '"Input"',
        '"Data"',
        '"Softmax"',
        'CONCAT',
        '"Pooling"',
        '""',
        '"InnerProduct"',
      ]);
      return {
        value: text.slice(0, m.index) + `type: ${to}` + text.slice(m.index + m[0].length),
        what: `${m[0]} -> type: ${to}`,
      };
    }
    default:
      break;
  }
  const bytes = byteMutation(rng, new TextEncoder().encode(text));
  return { value: new TextDecoder().decode(bytes.value), what: `text bytes: ${bytes.what}` };
}

// ---------------------------------------------------------------------------------------------------------
// JSON values

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path into a JSON value (arrays and objects), for picking a node to mutate. */
function jsonPaths(
  value: Json,
  prefix: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => jsonPaths(v, [...prefix, i], out));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) jsonPaths(v, [...prefix, k], out);
  return out;
}

const JSON_REPLACEMENTS: { label: string; value: (old: Json) => Json }[] = [
  { label: 'null', value: () => null },
  { label: 'true', value: () => true },
  { label: '0', value: () => 0 },
  { label: '-1', value: () => -1 },
  { label: '1.5', value: () => 1.5 },
  { label: '2^40', value: () => 2 ** 40 },
  { label: '1e308', value: () => 1e308 },
  { label: '"x"', value: () => 'x' },
  { label: '""', value: () => '' },
  { label: '[]', value: () => [] },
  { label: '{}', value: () => ({}) },
  { label: '[null]', value: () => [null] },
  { label: '[2^40]', value: () => [2 ** 40] },
  { label: '[-4]', value: () => [-4] },
  { label: '"../../etc/passwd"', value: () => '../../etc/passwd' },
  { label: '"/etc/passwd"', value: () => '/etc/passwd' },
  { label: '"https://example.com/x.bin"', value: () => 'https://example.com/x.bin' },
  { label: '"a\\\\..\\\\b.bin"', value: () => 'a\\..\\b.bin' },
  { label: 'wrapped in array', value: (o) => [o] },
  { label: 'duplicated array element', value: (o) => (Array.isArray(o) && o.length > 0 ? [...o, o[0]!] : o) },
  { label: 'first array element dropped', value: (o) => (Array.isArray(o) ? o.slice(1) : o) },
  { label: 'negated', value: (o) => (typeof o === 'number' ? -o : o) },
  { label: 'times 1000', value: (o) => (typeof o === 'number' ? o * 1000 : o) },
  { label: 'stringified', value: (o) => JSON.stringify(o) },
];

/** Mutates a JSON document structurally (one node replaced, deleted or wrapped) and returns its text. */
export function jsonMutation(rng: Rng, text: string): Mutated<string> {
  let root: Json;
  try {
    root = JSON.parse(text) as Json;
  } catch {
    // Already broken by an earlier mutation: keep mutating the text.
    const bytes = byteMutation(rng, new TextEncoder().encode(text));
    return { value: new TextDecoder().decode(bytes.value), what: `text bytes: ${bytes.what}` };
  }
  const paths = jsonPaths(root);
  const path = pick(rng, paths);
  const label = path.length === 0 ? '(root)' : path.join('.');
  if (path.length === 0) {
    const r = pick(rng, JSON_REPLACEMENTS);
    return { value: JSON.stringify(r.value(root)), what: `json ${label} -> ${r.label}` };
  }
  let parent: Json = root;
  for (const key of path.slice(0, -1)) parent = (parent as Record<string | number, Json>)[key] as Json;
  const last = path[path.length - 1]!;
  const container = parent as Record<string | number, Json>;
  if (rng.int(5) === 0) {
    if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
    else delete container[last];
    return { value: JSON.stringify(root), what: `json ${label} deleted` };
  }
  const r = pick(rng, JSON_REPLACEMENTS);
  container[last] = r.value(container[last] ?? null);
  // 1e400 is not JSON, but a JSON parser reads it as Infinity: inject it textually now and then.
  let out = JSON.stringify(root);
  let infinity = '';
  if (rng.int(10) === 0) {
    out = out.replace(/(:\s*)(-?\d+(\.\d+)?)/, '$11e400');
    infinity = ', first number -> 1e400';
  }
  return { value: out, what: `json ${label} -> ${r.label}${infinity}` };
}
