/**
 * An independent reference of the engine's maths in plain float64 loops: forward pass with switches,
 * deconvnet / backprop / guided projections. Written from the paper's definitions, sharing no code with
 * src/engine except the spec types and the resolved geometry (itself tested against the paper's sizes).
 */
import type { LrnLayer, ResolvedLayer } from '../../src/engine/model/spec';
import type { WeightMap } from '../../src/engine/model/format';

/** A feature map stack [H, W, C] (row-major, channels last) or a vector. */
export interface Maps {
  h: number;
  w: number;
  c: number;
  v: Float64Array;
}

const at = (m: Maps, y: number, x: number, k: number) => (y * m.w + x) * m.c + k;

function maps(h: number, w: number, c: number): Maps {
  return { h, w, c, v: new Float64Array(h * w * c) };
}

export interface RefPass {
  input: Maps;
  outputs: Maps[];
  /** Per pool layer: for each output element, the flat index (y, x, k) in the unpadded input it came from. */
  switches: (Int32Array | null)[];
}

function getWeight(weights: WeightMap, name: string): Float32Array {
  const w = weights.get(name);
  if (!w) throw new Error(`missing ${name}`);
  return w;
}

function lrnDenominator(x: Maps, layer: LrnLayer): Float64Array {
  const r = (layer.size - 1) / 2;
  const n = layer.region === 'within' ? layer.size * layer.size : layer.size;
  const d = new Float64Array(x.v.length);
  for (let y = 0; y < x.h; y++)
    for (let xx = 0; xx < x.w; xx++)
      for (let k = 0; k < x.c; k++) {
        let sum = 0;
        if (layer.region === 'across') {
          for (let j = Math.max(0, k - r); j <= Math.min(x.c - 1, k + r); j++)
            sum += x.v[at(x, y, xx, j)]! ** 2;
        } else {
          for (let dy = -r; dy <= r; dy++)
            for (let dx = -r; dx <= r; dx++) {
              const yy = y + dy;
              const xq = xx + dx;
              if (yy >= 0 && yy < x.h && xq >= 0 && xq < x.w) sum += x.v[at(x, yy, xq, k)]! ** 2;
            }
        }
        d[at(x, y, xx, k)] = layer.bias + (layer.alpha / n) * sum;
      }
  return d;
}

/** Local response normalisation: x * (bias + alpha / n * windowed sum of x^2)^-beta. */
export function refLrn(x: Maps, layer: LrnLayer): Maps {
  const d = lrnDenominator(x, layer);
  return { ...x, v: x.v.map((v, i) => v * d[i]! ** -layer.beta) };
}

/** Forward pass of an image already in network-input space ([H, W, 3]). */
export function refForward(layers: ResolvedLayer[], weights: WeightMap, input: Maps): RefPass {
  const outputs: Maps[] = [];
  const switches: (Int32Array | null)[] = [];
  let x = input;
  for (const layer of layers) {
    const s = layer.spec;
    let y: Maps;
    let sw: Int32Array | null = null;
    switch (s.type) {
      case 'conv': {
        const [oh, ow, oc] = layer.outShape as [number, number, number];
        const kern = getWeight(weights, `${s.name}/kernel`);
        const bias = getWeight(weights, `${s.name}/bias`);
        const [kh, kw] = s.kernel;
        y = maps(oh, ow, oc);
        for (let oy = 0; oy < oh; oy++)
          for (let ox = 0; ox < ow; ox++)
            for (let o = 0; o < oc; o++) {
              let sum = bias[o]!;
              for (let i = 0; i < kh; i++)
                for (let j = 0; j < kw; j++) {
                  const iy = oy * s.stride[0] - layer.pad[0] + i;
                  const ix = ox * s.stride[1] - layer.pad[2] + j;
                  if (iy < 0 || iy >= x.h || ix < 0 || ix >= x.w) continue;
                  for (let c = 0; c < x.c; c++)
                    sum += x.v[at(x, iy, ix, c)]! * kern[((i * kw + j) * x.c + c) * oc + o]!;
                }
              y.v[at(y, oy, ox, o)] = s.relu ? Math.max(0, sum) : sum;
            }
        break;
      }
      case 'relu':
        y = { ...x, v: x.v.map((v) => Math.max(0, v)) };
        break;
      case 'lrn':
        y = refLrn(x, s);
        break;
      case 'maxpool': {
        const [oh, ow, oc] = layer.outShape as [number, number, number];
        y = maps(oh, ow, oc);
        sw = new Int32Array(oh * ow * oc);
        for (let oy = 0; oy < oh; oy++)
          for (let ox = 0; ox < ow; ox++)
            for (let k = 0; k < oc; k++) {
              let best = -Infinity;
              let where = -1;
              for (let i = 0; i < s.kernel[0]; i++)
                for (let j = 0; j < s.kernel[1]; j++) {
                  const iy = oy * s.stride[0] - layer.pad[0] + i;
                  const ix = ox * s.stride[1] - layer.pad[2] + j;
                  if (iy < 0 || iy >= x.h || ix < 0 || ix >= x.w) continue;
                  const v = x.v[at(x, iy, ix, k)]!;
                  if (v > best) {
                    best = v;
                    where = at(x, iy, ix, k);
                  }
                }
              y.v[at(y, oy, ox, k)] = best;
              sw[at(y, oy, ox, k)] = where;
            }
        break;
      }
      case 'flatten': {
        y = maps(1, 1, x.h * x.w * x.c);
        let n = 0;
        if (s.order === 'hwc') y.v.set(x.v);
        else
          for (let k = 0; k < x.c; k++)
            for (let yy = 0; yy < x.h; yy++)
              for (let xx = 0; xx < x.w; xx++) y.v[n++] = x.v[at(x, yy, xx, k)]!;
        break;
      }
      case 'dense': {
        const kern = getWeight(weights, `${s.name}/kernel`);
        const bias = getWeight(weights, `${s.name}/bias`);
        y = maps(1, 1, s.units);
        for (let o = 0; o < s.units; o++) {
          let sum = bias[o]!;
          for (let i = 0; i < x.c; i++) sum += x.v[i]! * kern[i * s.units + o]!;
          y.v[o] = s.relu ? Math.max(0, sum) : sum;
        }
        break;
      }
      case 'softmax': {
        const m = Math.max(...x.v);
        const e = x.v.map((v) => Math.exp(v - m));
        const z = e.reduce((a, b) => a + b, 0);
        y = { ...x, v: e.map((v) => v / z) };
        break;
      }
      default:
        throw new Error(`the chain reference has no ${s.type} layer`);
    }
    outputs.push(y);
    switches.push(sw);
    x = y;
  }
  return { input, outputs, switches };
}

/** LRN gradient by central finite differences of the float64 forward (independent of the analytic formula). */
function lrnGradNumeric(x: Maps, g: Float64Array, layer: LrnLayer): Float64Array {
  const out = new Float64Array(x.v.length);
  const f = (m: Maps) => {
    const d = lrnDenominator(m, layer);
    let s = 0;
    for (let i = 0; i < m.v.length; i++) s += g[i]! * m.v[i]! * d[i]! ** -layer.beta;
    return s;
  };
  for (let i = 0; i < x.v.length; i++) {
    const h = 1e-5 * Math.max(1, Math.abs(x.v[i]!));
    const plus = { ...x, v: Float64Array.from(x.v) };
    const minus = { ...x, v: Float64Array.from(x.v) };
    plus.v[i]! += h;
    minus.v[i]! -= h;
    out[i] = (f(plus) - f(minus)) / (2 * h);
  }
  return out;
}

export type Method = 'deconv' | 'backprop' | 'guided';

/** Projects a signal at layer `from`'s output to the input, by the paper's rules (see deconvnet.ts). */
export function refProject(
  layers: ResolvedLayer[],
  weights: WeightMap,
  pass: RefPass,
  from: number,
  signal: Float64Array,
  method: Method,
): Maps {
  let s = signal;
  for (let i = from; i >= 0; i--) {
    const layer = layers[i]!;
    const spec = layer.spec;
    const below = i === 0 ? pass.input : pass.outputs[i - 1]!;
    const out = pass.outputs[i]!;
    const rect = () => {
      s = s.map((v, j) => {
        if (method === 'deconv') return Math.max(0, v);
        const mask = out.v[j]! > 0 ? 1 : 0;
        return (method === 'guided' ? Math.max(0, v) : v) * mask;
      });
    };
    switch (spec.type) {
      case 'conv': {
        if (spec.relu) rect();
        const kern = getWeight(weights, `${spec.name}/kernel`);
        const [kh, kw] = spec.kernel;
        const next = new Float64Array(below.v.length);
        for (let oy = 0; oy < out.h; oy++)
          for (let ox = 0; ox < out.w; ox++)
            for (let o = 0; o < out.c; o++) {
              const g = s[at(out, oy, ox, o)]!;
              if (g === 0) continue;
              for (let a = 0; a < kh; a++)
                for (let b = 0; b < kw; b++) {
                  const iy = oy * spec.stride[0] - layer.pad[0] + a;
                  const ix = ox * spec.stride[1] - layer.pad[2] + b;
                  if (iy < 0 || iy >= below.h || ix < 0 || ix >= below.w) continue;
                  for (let c = 0; c < below.c; c++)
                    next[at(below, iy, ix, c)]! += g * kern[((a * kw + b) * below.c + c) * out.c + o]!;
                }
            }
        s = next;
        break;
      }
      case 'relu':
        rect();
        break;
      case 'lrn':
        if (method !== 'deconv') s = lrnGradNumeric(below, s, spec);
        break;
      case 'maxpool': {
        const sw = pass.switches[i]!;
        const next = new Float64Array(below.v.length);
        for (let j = 0; j < sw.length; j++) next[sw[j]!]! += s[j]!;
        s = next;
        break;
      }
      default:
        throw new Error(`cannot project through ${spec.type}`);
    }
  }
  return { ...pass.input, v: s };
}

/** The starting signal: channel `channel` of layer output `m`, whole map or only its (first) maximum. */
export function refSignal(m: Maps, channel: number, mode: 'max' | 'all'): Float64Array {
  const s = new Float64Array(m.v.length);
  let best = -Infinity;
  let where = -1;
  for (let y = 0; y < m.h; y++)
    for (let x = 0; x < m.w; x++) {
      const i = at(m, y, x, channel);
      if (mode === 'all') s[i] = m.v[i]!;
      else if (m.v[i]! > best) {
        best = m.v[i]!;
        where = i;
      }
    }
  if (mode === 'max') s[where] = best;
  return s;
}
