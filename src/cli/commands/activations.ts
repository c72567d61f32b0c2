/** `activations`: one layer's output for an image, as a float32 .npy file. */
import { tf, forward, pixelsToInput, findLayer } from '../../engine';
import { stringOption } from '../args';
import {
  IMAGE_OPTION,
  LAYER_OPTION,
  MODEL_OPTION,
  outputExtension,
  valueRange,
  withModel,
  writeOutputFile,
  type Command,
} from '../context';
import { readImageFile } from '../image';
import { formatJson } from '../json';
import { encodeNpyFloat32 } from '../npy';

export const activationsCommand: Command = {
  name: 'activations',
  summary: "a layer's activations for an image, saved as .npy",
  description: [
    'Writes the layer output for the image as float32 .npy: [H, W, C] for feature maps, [units] for',
    'flatten, dense and softmax layers. Prints JSON {out, layer, shape, dtype, min, max}.',
  ].join('\n'),
  options: [
    MODEL_OPTION,
    IMAGE_OPTION,
    LAYER_OPTION,
    { name: 'out', type: 'string', valueName: 'FILE.npy', required: true, description: 'output .npy file' },
  ],
  usesTensors: true,
  async run(values, { io }) {
    const out = stringOption(values, 'out');
    outputExtension(out, ['npy']);
    const layerName = stringOption(values, 'layer');
    const pixels = await readImageFile(stringOption(values, 'image'));
    const result = await withModel(stringOption(values, 'model'), async (model) => {
      const layer = findLayer(model.layers, layerName);
      const maps = tf.tidy(() => {
        const pass = forward(model, pixelsToInput(pixels, model.spec.preprocessing), {
          switches: false,
          keep: new Set([layer.index]),
          until: layer.index,
        });
        const y = pass.outputs[layer.index];
        if (!y) throw new Error(`the forward pass did not keep layer ${layer.spec.name}`);
        return tf.squeeze(y, [0]);
      });
      try {
        return { shape: [...layer.outShape], data: (await maps.data()) as Float32Array };
      } finally {
        maps.dispose();
      }
    });
    await writeOutputFile(out, encodeNpyFloat32(result.data, result.shape));
    io.out(
      formatJson({
        out,
        layer: layerName,
        shape: result.shape,
        dtype: 'float32',
        ...valueRange(result.data),
      }),
    );
  },
};
