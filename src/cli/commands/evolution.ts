/**
 * `evolution`: how chosen channels of a layer change over a series of checkpoints (paper Fig. 4): for each
 * checkpoint and channel, the strongest activation over a folder of images, projected to pixels.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  featureEvolution,
  parseChannelList,
  parseSeriesIndex,
  type EvolutionCheckpoint,
  type EvolutionResult,
  type EvolutionTile,
  channelsOf,
  findLayer,
  resolveSpec,
  SpecError,
  type ProjectionMethod,
  type RgbaImage,
} from '../../engine';
import { intOption, stringOption, UsageError } from '../args';
import {
  CliError,
  LAYER_OPTION,
  loadModelFolder,
  METHOD_OPTION,
  progressLine,
  writeOutputFile,
  type Command,
} from '../context';
import { DecodeThreads } from '../decodeThreads';
import { formatJson } from '../json';
import { ModelDirError, readModelJson } from '../modelDir';
import { encodePng } from '../png';
import { listImages } from './top9';

/** One tile of index.json: y, x in the layer's grid; box and window in input pixels [y0, x0, y1, x1]. */
export interface EvolutionIndexTile {
  channel: number;
  image: string;
  value: number;
  y: number;
  x: number;
  box: [number, number, number, number];
  window: [number, number, number, number];
  maxAbs: number;
  png: string;
}

export interface EvolutionIndex {
  layer: string;
  method: ProjectionMethod;
  channels: number[];
  /** The model folders, in series order. */
  models: string[];
  images: number;
  mosaic: string;
  checkpoints: { model: string; name: string; tiles: EvolutionIndexTile[] }[];
}

/** Channels shown when --channels is not given: the first eight. */
const DEFAULT_CHANNELS = 8;
/** White gap between the mosaic's tiles, in pixels. */
const GAP = 2;

interface SeriesFolder {
  dir: string;
  name: string;
}

/**
 * --models: folders separated by commas, in training order; one folder holding an index.json (a series as
 * `npm run train:default -- --checkpoints` writes it) stands for its checkpoints.
 */
async function seriesFolders(text: string): Promise<SeriesFolder[]> {
  const dirs = text
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d !== '');
  if (dirs.length === 0) throw new UsageError('--models needs at least one model folder');
  if (dirs.length === 1) {
    const dir = dirs[0] as string;
    const index = join(dir, 'index.json');
    const isSeries = await stat(index).then(
      (s) => s.isFile(),
      () => false,
    );
    if (isSeries) {
      const entries = parseSeriesIndex(await readFile(index, 'utf8'), index);
      return entries.map((e) => ({ dir: join(dir, e.dir), name: e.label }));
    }
  }
  return dirs.map((dir) => ({ dir, name: basename(dir.replace(/\/+$/, '')) || dir }));
}

/** Every tile in one picture: a row per channel, a column per checkpoint, each tile centred in its cell. */
export function mosaic(result: EvolutionResult): RgbaImage {
  const tiles = result.tiles.flat();
  const cellW = Math.max(1, ...tiles.map((t) => t.pixels.width));
  const cellH = Math.max(1, ...tiles.map((t) => t.pixels.height));
  const cols = result.tiles.length;
  const rows = result.channels.length;
  const width = cols * cellW + (cols + 1) * GAP;
  const height = rows * cellH + (rows + 1) * GAP;
  const data = new Uint8ClampedArray(width * height * 4).fill(255);
  result.tiles.forEach((column, c) =>
    column.forEach((tile: EvolutionTile, r) => {
      const { width: w, height: h, data: src } = tile.pixels;
      const left = GAP + c * (cellW + GAP) + Math.floor((cellW - w) / 2);
      const top = GAP + r * (cellH + GAP) + Math.floor((cellH - h) / 2);
      for (let y = 0; y < h; y++)
        data.set(src.subarray(y * w * 4, (y + 1) * w * 4), ((top + y) * width + left) * 4);
    }),
  );
  return { width, height, data };
}

function tileFile(checkpoint: number, channel: number): string {
  return `ckpt${checkpoint}_c${channel}.png`;
}

export const evolutionCommand: Command = {
  name: 'evolution',
  summary: 'how channels of a layer change over training checkpoints (paper Fig. 4)',
  description: [
    'For each checkpoint of --models (in order; every one must have the same layer names) and each channel of',
    "--channels, finds the strongest activation over the PNG/JPEG images of --images (the image's maximum over",
    'the map; ties go to the earlier image in file-name order, then the earlier position) and projects it to',
    'pixels. Writes to --out: index.json {layer, method, channels, models, images, mosaic, checkpoints: [{model,',
    "name, tiles: [{channel, image, value, y, x, box, window, maxAbs, png}]}]} (y, x in the layer's grid; box",
    'the receptive field clipped to the image and window the unclipped field, both [y0, x0, y1, x1] in input',
    'pixels), one PNG per tile, ckpt<k>_c<channel>.png (the projection in the window, contrast-normalised per',
    'tile: zero is mid grey, the largest |value| black or white), and mosaic.png (a row per channel, a column',
    'per checkpoint). Prints a JSON summary.',
  ].join('\n'),
  options: [
    {
      name: 'models',
      type: 'string',
      valueName: 'DIR,DIR,...',
      required: true,
      description: 'model folders in training order, or one series folder with an index.json',
    },
    {
      name: 'images',
      type: 'string',
      valueName: 'DIR',
      required: true,
      description: 'folder of PNG/JPEG images (.png, .jpg, .jpeg), scanned in file-name order',
    },
    LAYER_OPTION,
    {
      name: 'channels',
      type: 'string',
      valueName: 'LIST',
      description: `channels: ranges and commas, e.g. 0-7 or 0,3,5-6 (default: the first ${DEFAULT_CHANNELS})`,
    },
    { name: 'batch', type: 'string', valueName: 'B', default: '8', description: 'images per forward pass' },
    METHOD_OPTION,
    { name: 'out', type: 'string', valueName: 'DIR', required: true, description: 'output folder (created)' },
  ],
  usesTensors: true,
  async run(values, { io }) {
    const out = stringOption(values, 'out');
    const imagesDir = stringOption(values, 'images');
    const layerName = stringOption(values, 'layer');
    const batchSize = intOption(values, 'batch', 1);
    const method = stringOption(values, 'method') as ProjectionMethod;
    const channelText = typeof values.channels === 'string' ? values.channels : undefined;
    if (channelText !== undefined) {
      try {
        parseChannelList(channelText);
      } catch (e) {
        throw new UsageError(`--channels: ${(e as Error).message}`);
      }
    }
    const folders = await seriesFolders(stringOption(values, 'models'));
    const files = await listImages(imagesDir);
    // Every checkpoint's model.json first (no weights): a series that does not match fails before any work.
    const series: EvolutionCheckpoint[] = [];
    for (const f of folders) {
      let spec;
      try {
        spec = (await readModelJson(f.dir)).spec;
      } catch (e) {
        if (e instanceof ModelDirError) throw new CliError(e.message);
        throw new CliError(`model folder "${f.dir}": ${(e as Error).message}`);
      }
      series.push({ name: f.name, spec, load: () => loadModelFolder(f.dir) });
    }
    const first = series[0] as EvolutionCheckpoint;
    let count: number;
    try {
      count = channelsOf(findLayer(resolveSpec(first.spec), layerName));
    } catch (e) {
      if (e instanceof SpecError) throw new CliError(`--layer ${layerName}: ${e.message}`);
      throw e;
    }
    let channels: number[];
    try {
      channels = channelText
        ? parseChannelList(channelText, count)
        : Array.from({ length: Math.min(DEFAULT_CHANNELS, count) }, (_, i) => i);
    } catch (e) {
      throw new CliError(`--channels for layer ${layerName}: ${(e as Error).message}`);
    }
    const progress = progressLine(io, 'evolution: checkpoint');
    const decoders = new DecodeThreads();
    let result: EvolutionResult;
    try {
      result = await featureEvolution(
        series,
        {
          count: files.length,
          image: (i, prep) => decoders.fileInput(join(imagesDir, files[i] as string), prep),
        },
        {
          layer: layerName,
          channels,
          method,
          batchSize,
          onProgress: (p) =>
            progress.update(p.checkpoint + (p.stage === 'projecting' ? 1 : 0), p.checkpoints),
        },
      );
    } catch (e) {
      if (e instanceof SpecError) throw new CliError(e.message);
      throw e;
    } finally {
      progress.done();
      decoders.dispose();
    }
    try {
      await mkdir(out, { recursive: true });
    } catch (e) {
      throw new CliError(`cannot create output folder "${out}": ${(e as Error).message}`);
    }
    const index: EvolutionIndex = {
      layer: result.layer,
      method: result.method,
      channels: result.channels,
      models: folders.map((f) => f.dir),
      images: files.length,
      mosaic: 'mosaic.png',
      checkpoints: [],
    };
    for (const [k, tiles] of result.tiles.entries()) {
      const entries: EvolutionIndexTile[] = [];
      for (const t of tiles) {
        const png = tileFile(k, t.channel);
        await writeOutputFile(join(out, png), encodePng(t.pixels));
        entries.push({
          channel: t.channel,
          image: files[t.image] as string,
          value: t.value,
          y: t.y,
          x: t.x,
          box: t.box,
          window: t.window,
          maxAbs: t.maxAbs,
          png,
        });
      }
      index.checkpoints.push({
        model: folders[k]?.dir ?? '',
        name: result.checkpoints[k] ?? '',
        tiles: entries,
      });
    }
    await writeOutputFile(join(out, index.mosaic), encodePng(mosaic(result)));
    await writeOutputFile(join(out, 'index.json'), new TextEncoder().encode(formatJson(index)));
    io.out(
      formatJson({
        out,
        index: join(out, 'index.json'),
        layer: result.layer,
        method: result.method,
        checkpoints: result.checkpoints.length,
        channels: result.channels,
        images: files.length,
        files: result.tiles.flat().length + 2,
      }),
    );
  },
};
