/** `classify`: the model's most probable classes for one image. */
import { tf, forward, pixelsToInput, topClasses } from '../../engine';
import { intOption, stringOption } from '../args';
import { CliError, IMAGE_OPTION, MODEL_OPTION, withModel, type Command } from '../context';
import { readImageFile } from '../image';
import { formatJson } from '../json';

export const classifyCommand: Command = {
  name: 'classify',
  summary: 'the most probable classes for an image',
  description: [
    'Prints a JSON list [{index, label, prob}], most probable first. If the last layer is not a softmax',
    '(the model ends in logits), a softmax is applied to its output.',
  ].join('\n'),
  options: [
    MODEL_OPTION,
    IMAGE_OPTION,
    { name: 'top', type: 'string', valueName: 'N', default: '5', description: 'how many classes to list' },
  ],
  usesTensors: true,
  async run(values, { io }) {
    const top = intOption(values, 'top', 1);
    const pixels = await readImageFile(stringOption(values, 'image'));
    const predictions = await withModel(stringOption(values, 'model'), async (model) => {
      const last = model.layers[model.layers.length - 1];
      if (!last || last.outShape.length !== 1) {
        throw new CliError(
          `model "${model.spec.name}" has no classifier: its last layer${last ? ` (${last.spec.name}) outputs [${last.outShape.join(', ')}]` : ' is missing'}`,
        );
      }
      const probs = tf.tidy(() => {
        const pass = forward(model, pixelsToInput(pixels, model.spec.preprocessing), {
          switches: false,
          keep: new Set<number>(),
        });
        const out = pass.outputs[pass.last];
        if (!out) throw new Error('the forward pass returned no output');
        return last.spec.type === 'softmax' ? tf.clone(out) : tf.softmax(out);
      });
      try {
        return await topClasses(probs, model.spec.labels, top);
      } finally {
        probs.dispose();
      }
    });
    io.out(formatJson(predictions));
  },
};
