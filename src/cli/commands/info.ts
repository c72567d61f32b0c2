/** `info`: a model's name, preprocessing and every layer's output shape, read from model.json alone. */
import { inputChannels, NETWORK_INPUT, resolveSpec } from '../../engine';
import { stringOption } from '../args';
import { MODEL_OPTION, CliError, type Command } from '../context';
import { formatJson } from '../json';
import { ModelDirError, readModelJson } from '../modelDir';

export const infoCommand: Command = {
  name: 'info',
  summary: "describe a model: preprocessing, classes and each layer's output shape",
  description: [
    'Prints JSON: name, description, preprocessing, inputShape [H, W, 3], classes (number of labels),',
    'parameters, weightsDtype, and layers in order: [{name, type, outputShape, inputs, aliases}] with',
    'outputShape [H, W, C] for feature maps or [units] for vectors, inputs the layers it reads ("input":',
    'the network input) and aliases the node / tensor names of the file it came from. Reads model.json only.',
  ].join('\n'),
  options: [MODEL_OPTION],
  usesTensors: false,
  async run(values, { io }) {
    const dir = stringOption(values, 'model');
    let json;
    try {
      json = await readModelJson(dir);
    } catch (e) {
      if (e instanceof ModelDirError) throw e;
      throw new CliError(`model folder "${dir}": ${e instanceof Error ? e.message : String(e)}`);
    }
    const { spec } = json;
    const layers = resolveSpec(spec);
    const entries = json.weightsManifest.flatMap((g) => g.weights);
    const parameters = entries.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
    const halves = entries.filter((w) => w.quantization?.dtype === 'float16').length;
    const weightsDtype =
      entries.length === 0
        ? 'none'
        : halves === 0
          ? 'float32'
          : halves === entries.length
            ? 'float16'
            : 'mixed';
    const [h, w] = spec.preprocessing.inputSize;
    io.out(
      formatJson({
        name: spec.name,
        description: spec.description,
        preprocessing: spec.preprocessing,
        inputShape: [h, w, inputChannels(spec.preprocessing)],
        classes: spec.labels.length,
        parameters,
        weightsDtype,
        layers: layers.map((l) => ({
          name: l.spec.name,
          type: l.spec.type,
          outputShape: l.outShape,
          inputs: l.inputs.map((at) => (at < 0 ? NETWORK_INPUT : (layers[at]?.spec.name ?? ''))),
          ...(l.spec.aliases?.length ? { aliases: l.spec.aliases } : {}),
        })),
      }),
    );
  },
};
