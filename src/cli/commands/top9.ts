/** `top9`: the 9 strongest activations of each channel of a layer across a folder of images (paper Fig. 2). */
import { mkdir, readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import {
  type Tensor3D,
  type ZfModel,
  normaliseRgb,
  channelsOf,
  findLayer,
  isMapLayer,
  type Preprocessing,
  type ProjectionMethod,
  type FieldBox,
  projectionToRgba,
  rgbToRgba,
  channelTop,
  cropBox,
  projectTop,
  rgbPatch,
  TOP_K,
  topKScan,
} from '../../engine';
import { intOption, stringOption, UsageError } from '../args';
import {
  CliError,
  METHOD_OPTION,
  LAYER_OPTION,
  MODEL_OPTION,
  progressLine,
  withModel,
  writeOutputFile,
  type Command,
} from '../context';
import { DecodeThreads } from '../decodeThreads';
import { formatJson } from '../json';
import { encodePng } from '../png';

/** One entry of index.json: y, x in the layer's grid; box in input pixels [y0, x0, y1, x1], end exclusive. */
export interface Top9Entry {
  image: string;
  y: number;
  x: number;
  value: number;
  box: FieldBox;
}

export interface Top9Index {
  layer: string;
  /** By channel index (as a string key): its entries, strongest first. */
  channels: Record<string, Top9Entry[]>;
}

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

/** `A-B` (inclusive) or `A`. */
export function parseChannelRange(text: string): [number, number] {
  const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(text);
  const a = m ? Number(m[1]) : NaN;
  const b = m ? Number(m[2] ?? m[1]) : NaN;
  if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || a > b)
    throw new UsageError(`--channels must be a range A-B with A <= B, or one channel A (got "${text}")`);
  return [a, b];
}

/** The PNG and JPEG files of a folder (by extension), sorted by file name. */
export async function listImages(dir: string): Promise<string[]> {
  let names: string[];
  try {
    if (!(await stat(dir)).isDirectory()) throw new CliError(`--images "${dir}" is not a folder`);
    names = await readdir(dir);
  } catch (e) {
    if (e instanceof CliError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError(`images folder "${dir}" does not exist`);
    throw new CliError(`cannot read images folder "${dir}": ${(e as Error).message}`);
  }
  if (names.length === 0) throw new CliError(`images folder "${dir}" is empty`);
  const images: string[] = [];
  for (const name of names) {
    if (!IMAGE_EXTENSIONS.has(extname(name).toLowerCase())) continue;
    const info = await stat(join(dir, name)).catch(() => null);
    if (info?.isFile()) images.push(name);
  }
  if (images.length === 0)
    throw new CliError(
      `images folder "${dir}" has no PNG or JPEG images (.png, .jpg, .jpeg; ${names.length} other entries)`,
    );
  // Code-unit order: the same on every machine and locale.
  return images.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Images by index at the model's input size (RGB 0..255, decoded on the threads), keeping the most recently
 * used few: channels often share top images. Input-sized, so a folder of large photos costs 600 kB an entry.
 */
function imageCache(
  dir: string,
  files: readonly string[],
  decoders: DecodeThreads,
  prep: Preprocessing,
  size = 32,
) {
  const cache = new Map<number, Promise<Float32Array>>();
  return (index: number): Promise<Float32Array> => {
    const hit = cache.get(index);
    if (hit) {
      cache.delete(index);
      cache.set(index, hit);
      return hit;
    }
    const rgb = decoders.fileRgb(join(dir, files[index] as string), prep);
    cache.set(index, rgb);
    rgb.catch(() => cache.delete(index));
    if (cache.size > size) cache.delete(cache.keys().next().value as number);
    return rgb;
  };
}

async function pngOf(tensor: Tensor3D, kind: 'rgb' | 'projection'): Promise<Uint8Array> {
  try {
    return encodePng(kind === 'rgb' ? await rgbToRgba(tensor) : await projectionToRgba(tensor));
  } finally {
    tensor.dispose();
  }
}

interface Top9Run {
  index: Top9Index;
  files: number;
  channels: [number, number];
}

interface Top9Options {
  imagesDir: string;
  files: string[];
  layer: string;
  channels: string | undefined;
  batchSize: number;
  method: ProjectionMethod;
  out: string;
  progress: (done: number, total: number) => void;
}

async function top9(model: ZfModel, options: Top9Options): Promise<Top9Run> {
  const layer = findLayer(model.layers, options.layer);
  if (!isMapLayer(layer))
    throw new CliError(
      `--layer ${layer.spec.name} is a ${layer.spec.type} layer; top activations need a feature-map layer (conv, relu, lrn or maxpool)`,
    );
  const count = channelsOf(layer);
  const [first, last] = options.channels ? parseChannelRange(options.channels) : [0, count - 1];
  if (last >= count)
    throw new CliError(
      `--channels ${first}-${last} is out of range for layer ${layer.spec.name} (channels 0-${count - 1})`,
    );
  // Images are decoded on threads of their own, beside the network.
  const decoders = new DecodeThreads();
  try {
    return await scanAndProject(model, options, layer.spec.name, [first, last], decoders);
  } finally {
    decoders.dispose();
  }
}

async function scanAndProject(
  model: ZfModel,
  options: Top9Options,
  layer: string,
  [first, last]: [number, number],
  decoders: DecodeThreads,
): Promise<Top9Run> {
  const { files } = options;
  const total = files.length;
  const prep = model.spec.preprocessing;
  const load = imageCache(options.imagesDir, files, decoders, prep);
  const state = await topKScan(
    model,
    (i) => (i < total ? decoders.fileInput(join(options.imagesDir, files[i] as string), prep) : null),
    {
      layer,
      channels: Array.from({ length: last - first + 1 }, (_, i) => first + i),
      k: TOP_K,
      batchSize: options.batchSize,
      total,
      onProgress: (done) => options.progress(done, total),
    },
  );
  try {
    await mkdir(options.out, { recursive: true });
  } catch (e) {
    throw new CliError(`cannot create output folder "${options.out}": ${(e as Error).message}`);
  }
  const index: Top9Index = { layer, channels: {} };
  let written = 0;
  for (let channel = first; channel <= last; channel++) {
    const entries = channelTop(state, channel);
    // Each image at the input size: its patch is cut from it, its network input normalised from it.
    const rgbs = await Promise.all(entries.map((e) => load(e.image)));
    const inputs = rgbs.map((rgb) => normaliseRgb(rgb.slice(), prep));
    const tops = projectTop(model, entries, inputs, {
      layer,
      channel,
      method: options.method,
    });
    try {
      for (const [rank, top] of tops.entries()) {
        const base = join(options.out, `c${channel}_${rank}`);
        const rgb = rgbs[rank] as Float32Array;
        const patch = await pngOf(rgbPatch(model, rgb, top.box), 'rgb');
        await writeOutputFile(`${base}_patch.png`, patch);
        const projection = await pngOf(cropBox(top.projection, top.box), 'projection');
        await writeOutputFile(`${base}_proj.png`, projection);
        written += 2;
      }
    } finally {
      tops.forEach((t) => t.projection.dispose());
    }
    index.channels[String(channel)] = tops.map(({ entry, box }) => ({
      image: files[entry.image] as string,
      y: entry.y,
      x: entry.x,
      value: entry.value,
      box,
    }));
  }
  await writeOutputFile(join(options.out, 'index.json'), new TextEncoder().encode(formatJson(index)));
  return { index, files: written + 1, channels: [first, last] };
}

export const top9Command: Command = {
  name: 'top9',
  summary: "each channel's 9 strongest activations across a folder of images, projected (paper Fig. 2)",
  description: [
    'Scans the PNG/JPEG images of --images (in file-name order) and keeps, for each channel of --layer, the 9',
    'strongest activations, at most one per image (its maximum), ties going to the earlier image. Writes to',
    '--out: index.json {layer, channels: {"<c>": [{image, y, x, value, box}]}} (y, x in the layer\'s grid; box',
    '[y0, x0, y1, x1] in input pixels, end exclusive: the receptive field), and per channel c and rank r',
    '(0 = strongest) c<c>_<r>_patch.png (the image patch at the model input size) and c<c>_<r>_proj.png (the',
    'projection of that one activation cropped to the patch; zero is mid grey). Prints a JSON summary.',
  ].join('\n'),
  options: [
    MODEL_OPTION,
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
      valueName: 'A-B',
      description: 'channel range, inclusive (default: every channel of the layer)',
    },
    { name: 'batch', type: 'string', valueName: 'B', default: '8', description: 'images per forward pass' },
    METHOD_OPTION,
    { name: 'out', type: 'string', valueName: 'DIR', required: true, description: 'output folder (created)' },
  ],
  usesTensors: true,
  async run(values, { io }) {
    const out = stringOption(values, 'out');
    const imagesDir = stringOption(values, 'images');
    const batchSize = intOption(values, 'batch', 1);
    const channels = typeof values.channels === 'string' ? values.channels : undefined;
    if (channels !== undefined) parseChannelRange(channels);
    const files = await listImages(imagesDir);
    const progress = progressLine(io, 'top9: images');
    const result = await withModel(stringOption(values, 'model'), (model) =>
      top9(model, {
        imagesDir,
        files,
        layer: stringOption(values, 'layer'),
        channels,
        batchSize,
        method: stringOption(values, 'method') as ProjectionMethod,
        out,
        progress: (done, total) => progress.update(done, total),
      }),
    ).finally(() => progress.done());
    io.out(
      formatJson({
        out,
        index: join(out, 'index.json'),
        layer: result.index.layer,
        method: stringOption(values, 'method'),
        images: files.length,
        channels: result.channels,
        perChannel: Math.min(TOP_K, files.length),
        files: result.files,
      }),
    );
  },
};
