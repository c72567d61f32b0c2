/**
 * The golden vectors the explainer, the `explain` command and the seed tests share (src/engine/explain/seed.ts)
 * against the seed document's own printed outputs, copied verbatim into test/fixtures/seed-printed.txt and
 * read here with a parser of numpy's print format: a wrong digit in the shared constants fails here, whatever
 * the engine computes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SEED_CONV_OUTPUT, SEED_DECONV_OUTPUT } from '../src/engine/explain/seed';

type Nested = number | Nested[];

/** numpy's print of an array ("[[ 2.  0.] [ 1. -2.]]") as nested arrays. */
function parseNumpyPrint(text: string): Nested {
  const tokens = text.match(/\[|\]|-?\d+(?:\.\d*)?(?:e[+-]?\d+)?/g) ?? [];
  const stack: Nested[][] = [];
  let result: Nested | undefined;
  for (const t of tokens) {
    if (t === '[') stack.push([]);
    else if (t === ']') {
      const done = stack.pop();
      if (!done) throw new Error('unbalanced ]');
      const parent = stack[stack.length - 1];
      if (parent) parent.push(done);
      else result = done;
    } else {
      const top = stack[stack.length - 1];
      if (!top) throw new Error(`a number outside brackets: ${t}`);
      top.push(Number(t));
    }
  }
  if (result === undefined || stack.length > 0) throw new Error('unbalanced [');
  return result;
}

function printedSections(): Map<string, string> {
  const text = readFileSync(join(__dirname, 'fixtures', 'seed-printed.txt'), 'utf8');
  const sections = new Map<string, string>();
  let name: string | null = null;
  for (const line of text.split('\n')) {
    const heading = /^## (.+)$/.exec(line);
    if (heading) name = heading[1]!.trim();
    else if (name && !line.startsWith('#')) sections.set(name, `${sections.get(name) ?? ''}${line}\n`);
  }
  return sections;
}

describe("the seed's printed outputs", () => {
  const printed = printedSections();

  it('parse as numpy prints them (a check of the parser itself)', () => {
    expect(parseNumpyPrint('[[ 1.  -2.5]\n [ 3.  4. ]]')).toEqual([
      [1, -2.5],
      [3, 4],
    ]);
    expect(() => parseNumpyPrint('[[1. 2.]')).toThrow('unbalanced');
  });

  it('section 6, conv2d: 5x5, equal to the shared SEED_CONV_OUTPUT', () => {
    const conv = parseNumpyPrint(printed.get('conv2d') ?? '');
    expect(conv).toHaveLength(5);
    expect(conv).toEqual(SEED_CONV_OUTPUT);
  });

  it('section 7, conv2d_transpose: 2 channels of 6x6, equal to the shared SEED_DECONV_OUTPUT', () => {
    const deconv = parseNumpyPrint(printed.get('conv2d_transpose') ?? '');
    expect((deconv as Nested[]).map((c) => (c as Nested[]).length)).toEqual([6, 6]);
    expect(deconv).toEqual(SEED_DECONV_OUTPUT);
  });
});
