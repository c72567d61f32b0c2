/** `eval`: a model's accuracy on the seeded synthetic-shapes images (the default model's held-out split). */
import { evaluateSynthetic, HELDOUT_SPLIT_SEED, SYNTHETIC_CLASSES } from '../../engine';
import { intOption, stringOption } from '../args';
import { CliError, MODEL_OPTION, progressLine, withModel, type Command } from '../context';
import { formatJson } from '../json';

export const evalCommand: Command = {
  name: 'eval',
  summary: 'accuracy on N seeded synthetic-shapes images (the classes the default model learned)',
  description: [
    `Classifies images 0..N-1 of the synthetic-shapes split --seed (default ${HELDOUT_SPLIT_SEED}, the held-out`,
    'split the default model never trained on) and prints JSON: {count, correct, accuracy, seed, perClass:',
    '[{label, count, correct, accuracy}], confusion} with confusion[true][predicted] = images. The model must',
    `output the ${SYNTHETIC_CLASSES.length} synthetic classes (${SYNTHETIC_CLASSES.join(', ')}) in that order;`,
    'a model with other labels but 10 outputs is scored by output index, with a note on stderr.',
    'Progress goes to stderr when it is a terminal.',
  ].join('\n'),
  options: [
    MODEL_OPTION,
    {
      name: 'synthetic',
      type: 'string',
      valueName: 'N',
      required: true,
      description: 'number of synthetic images to classify',
    },
    {
      name: 'seed',
      type: 'string',
      valueName: 'S',
      default: String(HELDOUT_SPLIT_SEED),
      description: 'split seed (1 is the training split)',
    },
    { name: 'batch', type: 'string', valueName: 'B', default: '16', description: 'images per forward pass' },
  ],
  usesTensors: true,
  async run(values, { io }) {
    const count = intOption(values, 'synthetic', 1);
    const seed = intOption(values, 'seed', 0);
    const batchSize = intOption(values, 'batch', 1);
    const progress = progressLine(io, 'eval');
    const result = await withModel(stringOption(values, 'model'), async (model) => {
      const last = model.layers[model.layers.length - 1];
      const outputs = last && last.outShape.length === 1 ? last.outShape[0] : null;
      if (outputs !== SYNTHETIC_CLASSES.length) {
        throw new CliError(
          `model "${model.spec.name}" ${outputs === null ? 'ends in feature maps' : `has ${outputs} outputs`}; ` +
            `eval needs the ${SYNTHETIC_CLASSES.length} synthetic-shape classes (${SYNTHETIC_CLASSES.join(', ')})`,
        );
      }
      const labels = model.spec.labels;
      let scored = model;
      if (labels.length > 0 && labels.some((l, i) => l !== SYNTHETIC_CLASSES[i])) {
        io.err(
          `note: the model's labels (${labels.slice(0, 3).join(', ')}, ...) are not the synthetic classes; ` +
            'scoring output k as class k\n',
        );
        scored = { ...model, spec: { ...model.spec, labels: [] } };
      }
      try {
        return await evaluateSynthetic(scored, count, {
          seed,
          batchSize,
          onProgress: (done, total) => progress.update(done, total),
        });
      } finally {
        progress.done();
      }
    });
    const perClass = result.confusion.map((row, k) => {
      const total = row.reduce((a, b) => a + b, 0);
      const correct = row[k] ?? 0;
      return {
        label: SYNTHETIC_CLASSES[k] ?? String(k),
        count: total,
        correct,
        accuracy: total > 0 ? correct / total : null,
      };
    });
    io.out(
      formatJson({
        count: result.count,
        correct: result.correct,
        accuracy: result.accuracy,
        seed: result.seed,
        perClass,
        confusion: result.confusion,
      }),
    );
  },
};
