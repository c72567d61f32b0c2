/**
 * `spectrum`: the first conv layer's filters beside their amplitude spectra (paper Fig. 6), as one PNG, and
 * the figures that compare models: the share of spectral energy in the mid band and the dead filters.
 */
import {
  DEAD_RMS_FRACTION,
  firstLayerFilters,
  firstLayerSpectra,
  MID_BAND,
  SPECTRUM_SIZE,
  type FilterBank,
  type FilterSpectra,
} from '../../engine';
import { intOption, numberOption, stringOption, UsageError, type OptionValues } from '../args';
import { MODEL_OPTION, outputExtension, withModel, writeOutputFile, type Command } from '../context';
import { formatJson } from '../json';
import { encodePng } from '../png';

/** The figures as the command prints them (and the compare view shows them). */
export interface SpectrumJson {
  out: string;
  json?: string;
  model: string;
  layer: string;
  kernel: [number, number];
  stride: [number, number];
  inChannels: number;
  count: number;
  /** DFT grid: size x size, DC at (size / 2, size / 2). */
  size: number;
  /** Mid band [from, to) in cycles per input pixel, radial. */
  band: [number, number];
  deadFraction: number;
  summary: {
    filters: number;
    live: number;
    dead: number;
    low: number | null;
    mid: number | null;
    high: number | null;
  };
  filters: {
    index: number;
    rms: number;
    low: number;
    mid: number;
    high: number;
    peak: number;
    dead: boolean;
  }[];
  /** Only in the --json file: each filter's amplitude spectrum, size * size values row by row. */
  spectra?: number[][];
}

const short = (v: number): number => Number(v.toPrecision(6));
const shortOrNull = (v: number | null): number | null => (v === null ? null : short(v));

export function spectrumJson(model: string, out: string, s: FilterSpectra): SpectrumJson {
  return {
    out,
    model,
    layer: s.layer,
    kernel: s.kernel,
    stride: s.stride,
    inChannels: s.inChannels,
    count: s.count,
    size: s.size,
    band: s.band,
    deadFraction: s.deadFraction,
    summary: {
      filters: s.summary.filters,
      live: s.summary.live,
      dead: s.summary.dead,
      low: shortOrNull(s.summary.low),
      mid: shortOrNull(s.summary.mid),
      high: shortOrNull(s.summary.high),
    },
    filters: s.filters.map((f, index) => ({
      index,
      rms: short(f.rms),
      low: short(f.low),
      mid: short(f.mid),
      high: short(f.high),
      peak: short(f.peak),
      dead: f.dead,
    })),
  };
}

/**
 * The sheet: rows of `columns` pairs, each the filter (enlarged to about the spectrum's size) and its
 * spectrum (`scale` pixels per frequency cell), on white; a dead filter's pair is framed in red.
 */
function drawSheet(bank: FilterBank, s: FilterSpectra, columns: number, scale: number) {
  const spec = s.size * scale;
  const fy = Math.max(1, Math.round(spec / bank.height));
  const fx = Math.max(1, Math.round(spec / bank.width));
  const gap = Math.max(2, scale);
  const pairW = bank.width * fx + gap + spec;
  const pairH = Math.max(bank.height * fy, spec);
  const cellW = pairW + 3 * gap;
  const cellH = pairH + 3 * gap;
  const cols = Math.min(columns, bank.count);
  const rows = Math.ceil(bank.count / columns);
  const width = cols * cellW + gap;
  const height = rows * cellH + gap;
  const sheet = new Uint8ClampedArray(width * height * 4).fill(255);
  const blit = (
    tiles: Uint8ClampedArray,
    w: number,
    h: number,
    f: number,
    x0: number,
    y0: number,
    sy: number,
    sx: number,
  ) => {
    for (let y = 0; y < h * sy; y++)
      for (let x = 0; x < w * sx; x++) {
        const src = ((f * h + Math.floor(y / sy)) * w + Math.floor(x / sx)) * 4;
        sheet.set(tiles.subarray(src, src + 4), ((y0 + y) * width + x0 + x) * 4);
      }
  };
  for (let f = 0; f < bank.count; f++) {
    const x0 = (f % columns) * cellW + 2 * gap;
    const y0 = Math.floor(f / columns) * cellH + 2 * gap;
    if (s.filters[f]?.dead) {
      for (let y = y0 - gap; y < y0 + pairH + gap; y++)
        for (let x = x0 - gap; x < x0 + pairW + gap; x++) sheet.set([220, 40, 40, 255], (y * width + x) * 4);
      for (let y = y0; y < y0 + pairH; y++)
        for (let x = x0; x < x0 + pairW; x++) sheet.set([255, 255, 255, 255], (y * width + x) * 4);
    }
    blit(bank.data, bank.width, bank.height, f, x0, y0, fy, fx);
    blit(s.tiles, s.size, s.size, f, x0 + bank.width * fx + gap, y0, scale, scale);
  }
  return { width, height, data: sheet };
}

/** --band FROM,TO: two frequencies in cycles per pixel. */
function bandOption(values: OptionValues): [number, number] {
  const text = stringOption(values, 'band');
  const parts = text.split(',').map((p) => p.trim());
  const numbers = parts.map((p) => (/^(\d+\.?\d*|\.\d+)$/.test(p) ? Number(p) : NaN));
  const [lo, hi] = numbers;
  if (numbers.length !== 2 || lo === undefined || hi === undefined || !(lo >= 0 && lo < hi))
    throw new UsageError(`--band must be two frequencies FROM,TO with 0 <= FROM < TO (got "${text}")`);
  return [lo, hi];
}

export const spectrumCommand: Command = {
  name: 'spectrum',
  summary: "the first conv layer's filters and their amplitude spectra; mid-band energy and dead filters",
  description: [
    'Writes a PNG: for each filter of the first conv layer, the filter (RGB, scaled to its own range) beside its',
    '2-D amplitude spectrum (the filter zero-padded to --size x --size, DFT, power summed over the input',
    'channels, square root; DC in the centre; each tile scaled to its own maximum). Dead filters are framed in',
    'red. Prints JSON: the mid-band share of spectral energy (radial frequency in --band, cycles per input pixel;',
    'mean over live filters), the low and high shares, the dead filters (all zero, or RMS below --dead-fraction',
    "of the largest filter RMS) and each filter's values. --json FILE.json writes the same JSON plus each",
    "filter's amplitude spectrum (spectra: size * size values, row by row).",
  ].join('\n'),
  options: [
    MODEL_OPTION,
    { name: 'out', type: 'string', valueName: 'FILE.png', required: true, description: 'output PNG' },
    {
      name: 'json',
      type: 'string',
      valueName: 'FILE.json',
      description: 'also write the figures and spectra',
    },
    { name: 'columns', type: 'string', valueName: 'N', default: '8', description: 'filter pairs per row' },
    { name: 'scale', type: 'string', valueName: 'S', default: '2', description: 'pixels per frequency cell' },
    {
      name: 'size',
      type: 'string',
      valueName: 'N',
      default: String(SPECTRUM_SIZE),
      description: 'DFT grid size (even)',
    },
    {
      name: 'band',
      type: 'string',
      valueName: 'FROM,TO',
      default: MID_BAND.join(','),
      description: 'mid band, radial frequency in cycles per input pixel',
    },
    {
      name: 'dead-fraction',
      type: 'string',
      valueName: 'F',
      default: String(DEAD_RMS_FRACTION),
      description: "a filter is dead below this fraction of the layer's largest filter RMS",
    },
  ],
  usesTensors: true,
  async run(values, { io }) {
    const out = stringOption(values, 'out');
    outputExtension(out, ['png'] as const);
    const jsonPath = typeof values.json === 'string' ? values.json : null;
    if (jsonPath !== null) {
      try {
        outputExtension(jsonPath, ['json'] as const);
      } catch {
        throw new UsageError(`--json must name a .json file (got "${jsonPath}")`);
      }
    }
    const columns = intOption(values, 'columns', 1);
    const scale = intOption(values, 'scale', 1);
    const size = intOption(values, 'size', 2);
    if (size % 2 !== 0) throw new UsageError(`--size must be even (got ${size})`);
    const band = bandOption(values);
    const deadFraction = numberOption(values, 'dead-fraction');
    if (!(deadFraction >= 0 && deadFraction < 1))
      throw new UsageError(`--dead-fraction must be at least 0 and below 1 (got ${deadFraction})`);
    const { name, bank, spectra } = await withModel(stringOption(values, 'model'), async (model) => {
      const spectra = await firstLayerSpectra(model, { size, band, deadFraction }).catch((e: unknown) => {
        // A grid smaller than the kernel is the option's fault.
        if (e instanceof RangeError) throw new UsageError(`--size: ${e.message}`);
        throw e;
      });
      return { name: model.spec.name, bank: await firstLayerFilters(model), spectra };
    });
    await writeOutputFile(out, encodePng(drawSheet(bank, spectra, columns, scale)));
    const json = spectrumJson(name, out, spectra);
    if (jsonPath !== null) {
      json.json = jsonPath;
      const n = spectra.size * spectra.size;
      const full: SpectrumJson = {
        ...json,
        spectra: Array.from({ length: spectra.count }, (_, f) =>
          Array.from(spectra.amplitude.subarray(f * n, (f + 1) * n), short),
        ),
      };
      await writeOutputFile(jsonPath, new TextEncoder().encode(formatJson(full)));
    }
    io.out(formatJson(json));
  },
};
