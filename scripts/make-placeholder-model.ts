/**
 * Writes the placeholder default model: the paper's ZFNet geometry (spatial sizes 110/55/26/13/6) at reduced
 * widths with seeded random weights, float16. Deterministic: the same seed gives the same bytes.
 * Usage: npm run make:placeholder [-- OUT_DIR]
 */
import { encodeModel } from '../src/engine/model/format';
import { randomWeights } from '../src/engine/model/model';
import { paperZfnetSpec } from '../src/engine/model/zfnet';
import { writeModelDir } from '../src/cli/modelDir';

export const PLACEHOLDER_SEED = 20131112;

export function placeholderSpec() {
  const labels = Array.from({ length: 10 }, (_, i) => `random class ${i}`);
  const spec = paperZfnetSpec(
    { conv: [32, 64, 96, 96, 64], fc: [256, 256], classes: 10 },
    labels,
    'ZFNet geometry, random weights (placeholder)',
  );
  spec.description =
    "The paper's ZFNet layer geometry at reduced widths with seeded random weights: a placeholder until a trained default ships. Its visualizations show structure from random filters, not learned features.";
  return spec;
}

const out = process.argv[2] ?? 'public/models/default';
const spec = placeholderSpec();
await writeModelDir(out, encodeModel(spec, randomWeights(spec, PLACEHOLDER_SEED), { dtype: 'float16' }));
console.log(`wrote ${out}`);
