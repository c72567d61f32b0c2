/** `filters`: the first conv layer's filters as one PNG sheet, with each filter's RMS. */
import { firstLayerFilters } from '../../engine';
import { intOption, stringOption } from '../args';
import { MODEL_OPTION, outputExtension, withModel, writeOutputFile, type Command } from '../context';
import { formatJson } from '../json';
import { encodePng } from '../png';

export const filtersCommand: Command = {
  name: 'filters',
  summary: "draw the first conv layer's filters as colour tiles, with each filter's RMS",
  description: [
    'Writes a PNG sheet: one tile per filter (RGB order, each scaled to its own range), in rows of --columns,',
    'each tile enlarged --scale times with a 1-tile-pixel gap. Prints JSON {out, layer, count, width, height,',
    'rms: [...]} with the root-mean-square weight of each filter (the paper renormalises filters above 0.1).',
  ].join('\n'),
  options: [
    MODEL_OPTION,
    { name: 'out', type: 'string', valueName: 'FILE.png', required: true, description: 'output PNG' },
    { name: 'columns', type: 'string', valueName: 'N', default: '12', description: 'tiles per row' },
    { name: 'scale', type: 'string', valueName: 'S', default: '6', description: 'pixels per weight' },
  ],
  usesTensors: true,
  async run(values, { io }) {
    const out = stringOption(values, 'out');
    outputExtension(out, ['png'] as const);
    const columns = intOption(values, 'columns', 1);
    const scale = intOption(values, 'scale', 1);
    const bank = await withModel(stringOption(values, 'model'), (model) => firstLayerFilters(model));
    const rows = Math.ceil(bank.count / columns);
    const cell = (bank.width + 1) * scale;
    const width = Math.min(columns, bank.count) * cell + scale;
    const height = rows * ((bank.height + 1) * scale) + scale;
    const sheet = new Uint8ClampedArray(width * height * 4).fill(255);
    for (let f = 0; f < bank.count; f++) {
      const x0 = (f % columns) * cell + scale;
      const y0 = Math.floor(f / columns) * (bank.height + 1) * scale + scale;
      for (let y = 0; y < bank.height * scale; y++)
        for (let x = 0; x < bank.width * scale; x++) {
          const src = ((f * bank.height + Math.floor(y / scale)) * bank.width + Math.floor(x / scale)) * 4;
          sheet.set(bank.data.subarray(src, src + 4), ((y0 + y) * width + x0 + x) * 4);
        }
    }
    await writeOutputFile(out, encodePng({ width, height, data: sheet }));
    io.out(
      formatJson({
        out,
        layer: bank.layer,
        count: bank.count,
        width: bank.width,
        height: bank.height,
        rms: Array.from(bank.rms, (v) => Number(v.toPrecision(6))),
      }),
    );
  },
};
