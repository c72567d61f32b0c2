/**
 * The page's numbers against the command line's: running the CLI from a spec, reading the .npy files it
 * writes, and comparing an occlusion map or a top-9 index read from the page (through the test hook) with the
 * CLI's JSON for the same model, images and settings. On the same backend (wasm) both run the same kernels,
 * so the float32 values are equal, not close.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { expect, type Page } from '@playwright/test';
import pngjs from 'pngjs';
import { makePng, type OcclusionSnapshot } from './helpers';
import type { Top9Snapshot } from '../src/state/testHook';

const run = promisify(execFile);

/** Runs one CLI command on `backend`; returns its JSON summary. */
export async function cli(backend: 'cpu' | 'wasm', args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run('npx', ['tsx', 'src/cli/main.ts', ...args, '--backend', backend], {
    maxBuffer: 16 << 20,
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

/** A float32 little-endian .npy file (what `project` and `activations` write). */
export function readNpy(path: string): { shape: number[]; data: Float32Array } {
  const bytes = readFileSync(path);
  expect(bytes.subarray(1, 6).toString('latin1')).toBe('NUMPY');
  const major = bytes[6] ?? 0;
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = bytes.subarray(start, start + headerLength).toString('latin1');
  expect(header).toContain("'descr': '<f4'");
  expect(header).toContain("'fortran_order': False");
  const shape = (/'shape': \(([^)]*)\)/.exec(header)?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  const body = bytes.subarray(start + headerLength);
  const data = new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
  expect(data.length).toBe(shape.reduce((a, b) => a * b, 1));
  return { shape, data };
}

/** ||a - b|| / ||b||, in float64. */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    num += d * d;
    den += (b[i] ?? 0) ** 2;
  }
  expect(den).toBeGreaterThan(0); // a comparison of two zero arrays would prove nothing
  return Math.sqrt(num / den);
}

/**
 * makePng's picture with seeded noise on every pixel: no flat areas, so no two values of a max-pool window
 * tie (a tie's switch is the backend's choice, and a projection through it differs between backends).
 */
export function noisyPng(width: number, height: number, variant: number): Buffer {
  const png = pngjs.PNG.sync.read(makePng(width, height, variant));
  let state = 0x9e3779b9 ^ (variant * 7919);
  for (let i = 0; i < png.data.length; i++) {
    if (i % 4 === 3) continue;
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    png.data[i] = Math.min(255, Math.max(0, (png.data[i] ?? 0) + (state >>> 27) - 16));
  }
  return pngjs.PNG.sync.write(png);
}

/** Runs the occlusion map the page finished on the given square size and stride; returns its snapshot. */
export async function runPageOcclusion(page: Page, size: number, stride: number): Promise<OcclusionSnapshot> {
  await page.getByTestId('tab-occlusion').click();
  await page.getByTestId('occlusion-size').fill(String(size));
  await page.getByTestId('occlusion-stride').fill(String(stride));
  await page.getByTestId('occlusion-run').click();
  const read = () => page.evaluate(() => window.__zfLens?.occlusion() ?? null);
  await expect.poll(async () => (await read())?.final ?? false).toBe(true);
  const occ = (await read()) as OcclusionSnapshot;
  expect(occ.cancelled).toBe(false);
  expect(occ.computed.every((d) => d === 1)).toBe(true);
  return occ;
}

/**
 * `occlude` on the command line with the page's square, layer, channel and class, writing `file`; the page's
 * three maps must equal the CLI's (the CLI writes the shortest decimal that reads back as the same float32).
 */
export async function expectOcclusionEqualsCli(
  occ: OcclusionSnapshot,
  onImage: string[],
  file: string,
): Promise<void> {
  await cli('wasm', [
    'occlude',
    ...onImage,
    '--size',
    String(occ.size),
    '--stride',
    String(occ.stride),
    '--layer',
    occ.layer,
    '--channel',
    String(occ.channel),
    '--class',
    String(occ.classIndex),
    '--out',
    file,
  ]);
  const json = JSON.parse(readFileSync(file, 'utf8')) as {
    rows: number;
    cols: number;
    size: number;
    stride: number;
    class: number;
    layer: string;
    channel: number;
    activation: number[][];
    probability: number[][];
    label: number[][];
  };
  expect([json.rows, json.cols, json.size, json.stride]).toEqual([occ.rows, occ.cols, occ.size, occ.stride]);
  expect([json.layer, json.channel, json.class]).toEqual([occ.layer, occ.channel, occ.classIndex]);
  const f32 = (m: number[][]) => m.flat().map((v) => Math.fround(v));
  expect(occ.activation).toEqual(f32(json.activation));
  expect(occ.probability).toEqual(f32(json.probability));
  expect(occ.label).toEqual(json.label.flat());
  // A map with structure: the square changes the activation somewhere.
  expect(new Set(occ.activation).size).toBeGreaterThan(1);
}

/** The CLI's top-9 index.json. */
export interface CliTop9Index {
  layer: string;
  channels: Record<string, { image: string; y: number; x: number; value: number; box: number[] }[]>;
}

/**
 * The page's top-9 scan against the CLI's index.json, channel by channel (images by name, positions, float32
 * values); returns how many of the channels fired somewhere (a comparison of empty lists proves little).
 */
export function expectTop9EqualsCli(
  scan: Top9Snapshot,
  index: CliTop9Index,
  [first, last]: [number, number],
): number {
  expect(scan.layer).toBe(index.layer);
  let live = 0;
  for (let c = first; c <= last; c++) {
    const j = scan.channels.indexOf(c);
    expect(j, `channel ${c} scanned`).toBeGreaterThanOrEqual(0);
    const page9 = (scan.top[j] ?? []).map((e) => ({
      image: scan.names?.[e.image],
      y: e.y,
      x: e.x,
      value: e.value,
    }));
    const cli9 = (index.channels[String(c)] ?? []).map(({ image, y, x, value }) => ({
      image,
      y,
      x,
      value: Math.fround(value),
    }));
    expect(page9, `channel ${c}`).toEqual(cli9);
    if ((cli9[0]?.value ?? 0) > 0) live++;
  }
  return live;
}

/** Picks `files` as the page's top-9 image set and scans it; returns the finished scan. */
export async function scanPageTop9(
  page: Page,
  files: { name: string; bytes: Buffer }[],
): Promise<Top9Snapshot> {
  await page
    .getByTestId('top9-images')
    .setInputFiles(files.map((f) => ({ name: f.name, mimeType: 'image/png', buffer: f.bytes })));
  await expect(page.getByTestId('top9-progress')).toHaveAttribute('data-total', String(files.length));
  await page.getByTestId('top9-scan').click();
  await expect(page.getByTestId('top9-panel')).toHaveAttribute('data-status', 'done');
  const scan = (await page.evaluate(() => window.__zfLens!.top9())) as Top9Snapshot;
  expect([scan.done, scan.total]).toEqual([files.length, files.length]);
  return scan;
}
