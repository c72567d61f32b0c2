/**
 * Writes a ZF Lens model (spec + weights) as an ONNX graph, so that a peer runtime (onnxruntime) can run the
 * very network the engine runs. Input `data` is the network input in NCHW [1, 3, H, W] (already
 * preprocessed); the output is the last layer's. LRN within channels has no ONNX operator (not supported).
 */
import { OnnxGraph } from '../test/fixtures/onnxBuilder';
import type { ModelSpec } from '../src/engine/model/spec';
import type { WeightMap } from '../src/engine/model/format';

/** HWIO [kh, kw, cin, cout] -> OIHW [cout, cin, kh, kw]. */
function hwioToOihw(values: Float32Array, kh: number, kw: number, cin: number, cout: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++)
          out[((o * cin + i) * kh + y) * kw + x] = values[((y * kw + x) * cin + i) * cout + o] ?? 0;
  return out;
}

export function exportOnnx(spec: ModelSpec, weights: WeightMap): Uint8Array {
  const g = new OnnxGraph(spec.name);
  g.opset = 13;
  g.irVersion = 7;
  const [h, w] = spec.preprocessing.inputSize;
  g.input('data', [1, 3, h, w]);
  let current = 'data';
  let channels = 3;
  const weight = (name: string): Float32Array => {
    const v = weights.get(name);
    if (!v) throw new Error(`weight "${name}" is missing`);
    return v instanceof Float32Array ? v : Float32Array.from(v);
  };
  const node = (op: string, inputs: string[], name: string, attrs = {}) => {
    g.node(op, inputs, [name], attrs, name);
    current = name;
  };
  for (const layer of spec.layers) {
    switch (layer.type) {
      case 'conv': {
        const [kh, kw] = layer.kernel;
        const [top, bottom, left, right] = layer.pad;
        g.init(
          `${layer.name}/kernel`,
          [layer.filters, channels, kh, kw],
          hwioToOihw(weight(`${layer.name}/kernel`), kh, kw, channels, layer.filters),
        );
        g.init(`${layer.name}/bias`, [layer.filters], weight(`${layer.name}/bias`));
        node('Conv', [current, `${layer.name}/kernel`, `${layer.name}/bias`], layer.name, {
          kernel_shape: [kh, kw],
          strides: layer.stride,
          pads: [top, left, bottom, right],
        });
        if (layer.relu) node('Relu', [current], `${layer.name}/relu`);
        channels = layer.filters;
        break;
      }
      case 'relu':
        node('Relu', [current], layer.name);
        break;
      case 'lrn':
        if (layer.region !== 'across') throw new Error('LRN within channels has no ONNX operator');
        node('LRN', [current], layer.name, {
          size: layer.size,
          alpha: { float: layer.alpha },
          beta: { float: layer.beta },
          bias: { float: layer.bias },
        });
        break;
      case 'maxpool': {
        const [top, bottom, left, right] = layer.pad;
        node('MaxPool', [current], layer.name, {
          kernel_shape: layer.kernel,
          strides: layer.stride,
          pads: [top, left, bottom, right],
          ceil_mode: layer.ceil ? 1 : 0,
        });
        break;
      }
      case 'flatten':
        if (layer.order === 'hwc') node('Transpose', [current], `${layer.name}/nhwc`, { perm: [0, 2, 3, 1] });
        node('Flatten', [current], layer.name, { axis: 1 });
        break;
      case 'dense': {
        const kernel = weight(`${layer.name}/kernel`);
        const inputs = kernel.length / layer.units;
        g.init(`${layer.name}/kernel`, [inputs, layer.units], kernel);
        g.init(`${layer.name}/bias`, [layer.units], weight(`${layer.name}/bias`));
        node('Gemm', [current, `${layer.name}/kernel`, `${layer.name}/bias`], layer.name);
        if (layer.relu) node('Relu', [current], `${layer.name}/relu`);
        break;
      }
      case 'softmax':
        node('Softmax', [current], layer.name, { axis: -1 });
        break;
    }
  }
  g.output(current);
  return g.encode();
}
