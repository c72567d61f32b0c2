import { describe, expect, it } from 'vitest';
import {
  BLOCK_SEPARATOR,
  blockNamer,
  blockOf,
  branchInfo,
  COMBOBOX_MIN_LAYERS,
  filterLayers,
  groupLayers,
  MAX_BLOCK_LAYERS,
  nameParts,
  queryTerms,
} from '../src/ui/common/layerPicker';

/** A map layer as the worker describes it (../src/worker/protocol/api.ts MapLayerInfo, with the type as a string). */
interface Layer {
  name: string;
  type: string;
  height: number;
  width: number;
  channels: number;
  inputs: string[];
}

/** Builds a layer list in model order; `add` returns the new layer's name. */
function builder() {
  const layers: Layer[] = [];
  const add = (name: string, type: string, [channels, size]: [number, number], inputs: string[]): string => {
    layers.push({ name, type, channels, height: size, width: size, inputs });
    return name;
  };
  return { layers, add };
}

/** ResNet-18 / ResNet-50 as torchvision's ONNX export names them (batch norm folded into the convolutions). */
function resnet(depth: 18 | 50): Layer[] {
  const { layers, add } = builder();
  let x = add('/conv1/Conv', 'conv', [64, 112], ['input']);
  x = add('/relu/Relu', 'relu', [64, 112], [x]);
  x = add('/maxpool/MaxPool', 'maxpool', [64, 56], [x]);
  const blocks = depth === 18 ? [2, 2, 2, 2] : [3, 4, 6, 3];
  let size = 56;
  blocks.forEach((n, s) => {
    const stage = `layer${s + 1}`;
    const width = 64 * 2 ** s * (depth === 18 ? 1 : 4);
    for (let b = 0; b < n; b++) {
      if (s > 0 && b === 0) size /= 2;
      const p = `/${stage}/${stage}.${b}`;
      const input = x;
      let y = add(`${p}/conv1/Conv`, 'conv', [width / (depth === 18 ? 1 : 4), size], [input]);
      y = add(`${p}/relu/Relu`, 'relu', [width, size], [y]);
      y = add(`${p}/conv2/Conv`, 'conv', [width, size], [y]);
      if (depth === 50) {
        y = add(`${p}/relu_1/Relu`, 'relu', [width, size], [y]);
        y = add(`${p}/conv3/Conv`, 'conv', [width, size], [y]);
      }
      const shortcut =
        b === 0 && (s > 0 || depth === 50)
          ? add(`${p}/downsample/downsample.0/Conv`, 'conv', [width, size], [input])
          : input;
      y = add(`${p}/Add`, 'add', [width, size], [y, shortcut]);
      x = add(`${p}/${depth === 18 ? 'relu_1' : 'relu_2'}/Relu`, 'relu', [width, size], [y]);
    }
  });
  add('/avgpool/GlobalAveragePool', 'avgpool', [depth === 18 ? 512 : 2048, 1], [x]);
  return layers;
}

/** GoogLeNet (torchvision, eval mode, no auxiliary classifiers) as its ONNX export names it. */
function googlenet(): Layer[] {
  const { layers, add } = builder();
  const basic = (p: string, channels: number, size: number, input: string) => {
    const c = add(`${p}/conv/Conv`, 'conv', [channels, size], [input]);
    return add(`${p}/Relu`, 'relu', [channels, size], [c]);
  };
  let x = basic('/conv1', 64, 112, 'input');
  x = add('/maxpool1/MaxPool', 'maxpool', [64, 56], [x]);
  x = basic('/conv2', 64, 56, x);
  x = basic('/conv3', 192, 56, x);
  x = add('/maxpool2/MaxPool', 'maxpool', [192, 28], [x]);
  const inception = (name: string, size: number, input: string) => {
    const p = `/${name}`;
    const b1 = basic(`${p}/branch1`, 64, size, input);
    let b2 = basic(`${p}/branch2/branch2.0`, 96, size, input);
    b2 = basic(`${p}/branch2/branch2.1`, 128, size, b2);
    let b3 = basic(`${p}/branch3/branch3.0`, 16, size, input);
    b3 = basic(`${p}/branch3/branch3.1`, 32, size, b3);
    let b4 = add(`${p}/branch4/branch4.0/MaxPool`, 'maxpool', [256, size], [input]);
    b4 = basic(`${p}/branch4/branch4.1`, 32, size, b4);
    return add(`${p}/Concat`, 'concat', [256, size], [b1, b2, b3, b4]);
  };
  x = inception('inception3a', 28, x);
  x = inception('inception3b', 28, x);
  x = add('/maxpool3/MaxPool', 'maxpool', [480, 14], [x]);
  for (const n of ['4a', '4b', '4c', '4d', '4e']) x = inception(`inception${n}`, 14, x);
  x = add('/maxpool4/MaxPool', 'maxpool', [832, 7], [x]);
  x = inception('inception5a', 7, x);
  x = inception('inception5b', 7, x);
  add('/avgpool/GlobalAveragePool', 'avgpool', [1024, 1], [x]);
  return layers;
}

/** DenseNet-121 (torchvision) as its ONNX export names it: every dense layer concatenates all before it. */
function densenet121(): Layer[] {
  const { layers, add } = builder();
  let x = add('/features/conv0/Conv', 'conv', [64, 112], ['input']);
  x = add('/features/relu0/Relu', 'relu', [64, 112], [x]);
  x = add('/features/pool0/MaxPool', 'maxpool', [64, 56], [x]);
  let size = 56;
  let channels = 64;
  [6, 12, 24, 16].forEach((n, b) => {
    const p = `/features/denseblock${b + 1}`;
    const features = [x];
    for (let l = 1; l <= n; l++) {
      const q = `${p}/denselayer${l}`;
      let y = add(`${q}/Concat`, 'concat', [channels + 32 * (l - 1), size], [...features]);
      y = add(`${q}/norm1/BatchNormalization`, 'batchnorm', [channels + 32 * (l - 1), size], [y]);
      y = add(`${q}/relu1/Relu`, 'relu', [channels + 32 * (l - 1), size], [y]);
      y = add(`${q}/conv1/Conv`, 'conv', [128, size], [y]);
      y = add(`${q}/norm2/BatchNormalization`, 'batchnorm', [128, size], [y]);
      y = add(`${q}/relu2/Relu`, 'relu', [128, size], [y]);
      features.push(add(`${q}/conv2/Conv`, 'conv', [32, size], [y]));
    }
    channels += 32 * n;
    x = add(`${p}/Concat`, 'concat', [channels, size], features);
    if (b < 3) {
      const t = `/features/transition${b + 1}`;
      x = add(`${t}/norm/BatchNormalization`, 'batchnorm', [channels, size], [x]);
      x = add(`${t}/relu/Relu`, 'relu', [channels, size], [x]);
      channels /= 2;
      x = add(`${t}/conv/Conv`, 'conv', [channels, size], [x]);
      size /= 2;
      x = add(`${t}/pool/AveragePool`, 'avgpool', [channels, size], [x]);
    }
  });
  x = add('/features/norm5/BatchNormalization', 'batchnorm', [1024, 7], [x]);
  x = add('/Relu', 'relu', [1024, 7], [x]);
  add('/GlobalAveragePool', 'avgpool', [1024, 1], [x]);
  return layers;
}

/** MobileNetV2 (torchvision) as its ONNX export names it (ReLU6 exported as Clip). */
function mobilenetV2(): Layer[] {
  const { layers, add } = builder();
  let x = add('/features/features.0/features.0.0/Conv', 'conv', [32, 112], ['input']);
  x = add('/features/features.0/features.0.2/Clip', 'relu', [32, 112], [x]);
  x = add('/features/features.1/conv/conv.0/conv.0.0/Conv', 'conv', [32, 112], [x]);
  x = add('/features/features.1/conv/conv.0/conv.0.2/Clip', 'relu', [32, 112], [x]);
  x = add('/features/features.1/conv/conv.1/Conv', 'conv', [16, 112], [x]);
  let i = 2;
  let size = 112;
  for (const [c, n, s] of [
    [24, 2, 2],
    [32, 3, 2],
    [64, 4, 2],
    [96, 3, 1],
    [160, 3, 2],
    [320, 1, 1],
  ] as const) {
    for (let r = 0; r < n; r++, i++) {
      if (r === 0) size /= s;
      const p = `/features/features.${i}/conv`;
      const input = x;
      let y = add(`${p}/conv.0/conv.0.0/Conv`, 'conv', [c * 6, size], [input]);
      y = add(`${p}/conv.0/conv.0.2/Clip`, 'relu', [c * 6, size], [y]);
      y = add(`${p}/conv.1/conv.1.0/Conv`, 'conv', [c * 6, size], [y]);
      y = add(`${p}/conv.1/conv.1.2/Clip`, 'relu', [c * 6, size], [y]);
      y = add(`${p}/conv.2/Conv`, 'conv', [c, size], [y]);
      x = r > 0 ? add(`/features/features.${i}/Add`, 'add', [c, size], [y, input]) : y;
    }
  }
  x = add('/features/features.18/features.18.0/Conv', 'conv', [1280, 7], [x]);
  x = add('/features/features.18/features.18.2/Clip', 'relu', [1280, 7], [x]);
  add('/GlobalAveragePool', 'avgpool', [1280, 1], [x]);
  return layers;
}

/** ZFNet (Zeiler & Fergus 2013) as a chain with short names. */
function zfnet(): Layer[] {
  const { layers, add } = builder();
  const chain: [string, string, number, number][] = [
    ['conv1', 'conv', 96, 110],
    ['relu1', 'relu', 96, 110],
    ['pool1', 'maxpool', 96, 55],
    ['norm1', 'lrn', 96, 55],
    ['conv2', 'conv', 256, 26],
    ['relu2', 'relu', 256, 26],
    ['pool2', 'maxpool', 256, 13],
    ['norm2', 'lrn', 256, 13],
    ['conv3', 'conv', 384, 13],
    ['relu3', 'relu', 384, 13],
    ['conv4', 'conv', 384, 13],
    ['relu4', 'relu', 384, 13],
    ['conv5', 'conv', 256, 13],
    ['relu5', 'relu', 256, 13],
    ['pool5', 'maxpool', 256, 6],
  ];
  let x = 'input';
  for (const [name, type, c, s] of chain) x = add(name, type, [c, s], [x]);
  return layers;
}

const names = (layers: readonly { name: string }[]) => layers.map((l) => l.name);
const blocks = (layers: readonly { name: string }[]) => groupLayers(layers).map((g) => g.block);
const at = (layers: readonly { name: string }[], name: string): number => {
  const i = layers.findIndex((l) => l.name === name);
  if (i < 0) throw new Error(`no layer ${name}`);
  return i;
};

describe('test models', () => {
  it('have the sizes of the real networks (map layers only)', () => {
    expect(resnet(18)).toHaveLength(47);
    expect(resnet(50)).toHaveLength(120);
    expect(googlenet()).toHaveLength(137);
    expect(densenet121()).toHaveLength(428);
    expect(mobilenetV2()).toHaveLength(98);
    expect(zfnet()).toHaveLength(15);
    for (const model of [resnet(18), resnet(50), googlenet(), densenet121(), mobilenetV2(), zfnet()]) {
      expect(new Set(names(model)).size).toBe(model.length);
    }
  });
});

describe('nameParts', () => {
  it('splits slash names into modules and the op', () => {
    expect(nameParts('/layer4/layer4.1/relu_1/Relu')).toEqual({
      modules: ['layer4', 'layer4.1', 'relu_1'],
      last: 'Relu',
      slashed: true,
    });
    expect(nameParts('/Relu')).toEqual({ modules: [], last: 'Relu', slashed: true });
  });

  it('reads dotted names the way the exporter writes numbered items', () => {
    expect(nameParts('layer4.1.relu')).toEqual({
      modules: ['layer4', 'layer4.1'],
      last: 'relu',
      slashed: false,
    });
    expect(nameParts('features.3.conv.2')).toEqual({
      modules: ['features', 'features.3', 'conv'],
      last: 'conv.2',
      slashed: false,
    });
    expect(nameParts('conv1')).toEqual({ modules: [], last: 'conv1', slashed: false });
  });
});

describe('blockOf', () => {
  it('names the residual block of a ResNet layer', () => {
    const model = names(resnet(18));
    expect(blockOf('/layer4/layer4.1/relu_1/Relu', model)).toBe('layer4 / layer4.1');
    expect(blockOf('/layer4/layer4.1/Add', model)).toBe('layer4 / layer4.1');
    expect(blockOf('/layer2/layer2.0/downsample/downsample.0/Conv', model)).toBe('layer2 / layer2.0');
    expect(blockOf('/conv1/Conv', model)).toBe('');
    expect(blockOf('/avgpool/GlobalAveragePool', model)).toBe('');
    // Alone, a name whose op sits in a leaf module still finds its block.
    expect(blockOf('/layer4/layer4.1/relu_1/Relu')).toBe('layer4 / layer4.1');
  });

  it('names the inception module, not its branches', () => {
    const model = names(googlenet());
    expect(blockOf('/inception5b/branch3/branch3.1/conv/Conv', model)).toBe('inception5b');
    expect(blockOf('/inception5b/Concat', model)).toBe('inception5b');
    expect(blockOf('/conv2/conv/Conv', model)).toBe('conv2');
    expect(blockOf('/maxpool3/MaxPool', model)).toBe('');
  });

  it('names the dense layer inside a dense block', () => {
    const model = names(densenet121());
    expect(blockOf('/features/denseblock4/denselayer16/conv2/Conv', model)).toBe(
      ['features', 'denseblock4', 'denselayer16'].join(BLOCK_SEPARATOR),
    );
    expect(blockOf('/features/denseblock1/Concat', model)).toBe('features / denseblock1');
    expect(blockOf('/features/transition2/pool/AveragePool', model)).toBe('features / transition2');
    expect(blockOf('/features/conv0/Conv', model)).toBe('features');
    expect(blockOf('/GlobalAveragePool', model)).toBe('');
  });

  it('names the inverted residual of a MobileNetV2 layer', () => {
    const model = names(mobilenetV2());
    expect(blockOf('/features/features.3/conv/conv.1/conv.1.2/Clip', model)).toBe('features / features.3');
    expect(blockOf('/features/features.3/Add', model)).toBe('features / features.3');
    expect(blockOf('/features/features.0/features.0.0/Conv', model)).toBe('features / features.0');
  });

  it('reads dotted module names like slash ones', () => {
    const model = ['conv1', 'relu', 'layer4.0.conv1', 'layer4.0.relu', 'layer4.1.conv1', 'layer4.1.relu'];
    expect(blockOf('layer4.1.relu', model)).toBe('layer4 / layer4.1');
    expect(blockOf('layer4.1.relu')).toBe('layer4 / layer4.1');
    expect(blockOf('conv1', model)).toBe('');
  });

  it('puts short chain names at the top level', () => {
    const model = names(zfnet());
    for (const name of model) expect(blockOf(name, model)).toBe('');
  });

  it('splits a module that is too large even when its parts are named', () => {
    const model = Array.from({ length: MAX_BLOCK_LAYERS + 1 }, (_, i) => `/body/part${i}/op/Conv`);
    expect(blockOf('/body/part3/op/Conv', model)).toBe('body / part3');
    expect(blockOf('/body/part3/op/Conv', model.slice(0, MAX_BLOCK_LAYERS))).toBe('body');
  });
});

describe('groupLayers', () => {
  it('gives ResNet one group per residual block between the stem and the pooling', () => {
    const groups = groupLayers(resnet(18));
    expect(groups.map((g) => [g.block, g.layers.length])).toEqual([
      ['', 3],
      ['layer1 / layer1.0', 5],
      ['layer1 / layer1.1', 5],
      ['layer2 / layer2.0', 6],
      ['layer2 / layer2.1', 5],
      ['layer3 / layer3.0', 6],
      ['layer3 / layer3.1', 5],
      ['layer4 / layer4.0', 6],
      ['layer4 / layer4.1', 5],
      ['', 1],
    ]);
    expect(blocks(resnet(50))).toHaveLength(18);
  });

  it('gives GoogLeNet one group per inception module', () => {
    const groups = groupLayers(googlenet());
    expect(groups.map((g) => g.block)).toEqual([
      'conv1',
      '',
      'conv2',
      'conv3',
      '',
      'inception3a',
      'inception3b',
      '',
      'inception4a',
      'inception4b',
      'inception4c',
      'inception4d',
      'inception4e',
      '',
      'inception5a',
      'inception5b',
      '',
    ]);
    expect(groups.find((g) => g.block === 'inception4c')?.layers).toHaveLength(14);
  });

  it('keeps every model readable: a few to some 70 groups of at most 24 layers, model order kept', () => {
    const counts: Record<string, number> = {};
    for (const [label, model] of Object.entries({
      resnet18: resnet(18),
      resnet50: resnet(50),
      googlenet: googlenet(),
      densenet121: densenet121(),
      mobilenetV2: mobilenetV2(),
    })) {
      const groups = groupLayers(model);
      counts[label] = groups.length;
      expect(groups.flatMap((g) => names(g.layers))).toEqual(names(model));
      for (const g of groups) expect(g.layers.length).toBeLessThanOrEqual(MAX_BLOCK_LAYERS);
    }
    expect(counts).toEqual({ resnet18: 10, resnet50: 18, googlenet: 17, densenet121: 68, mobilenetV2: 20 });
  });

  it('keeps a chain model in one group', () => {
    const groups = groupLayers(zfnet());
    expect(groups).toHaveLength(1);
    expect(groups[0]).toEqual({ block: '', layers: zfnet() });
  });

  it('groups a filtered list the way the whole model is grouped', () => {
    const model = googlenet();
    const picked = filterLayers(model, 'inception4 concat');
    expect(groupLayers(picked, blockNamer(names(model))).map((g) => g.block)).toEqual([
      'inception4a',
      'inception4b',
      'inception4c',
      'inception4d',
      'inception4e',
    ]);
  });

  it('handles an empty model', () => {
    expect(groupLayers([])).toEqual([]);
  });
});

describe('filterLayers', () => {
  it('matches every term against name, type and shape, ignoring case', () => {
    expect(names(filterLayers(resnet(18), 'layer4 relu'))).toEqual([
      '/layer4/layer4.0/relu/Relu',
      '/layer4/layer4.0/relu_1/Relu',
      '/layer4/layer4.1/relu/Relu',
      '/layer4/layer4.1/relu_1/Relu',
    ]);
    expect(names(filterLayers(resnet(18), 'LAYER4.1 Add'))).toEqual(['/layer4/layer4.1/Add']);
    expect(names(filterLayers(zfnet(), 'conv5'))).toEqual(['conv5']);
    expect(names(filterLayers(zfnet(), '13x13'))).toEqual([
      'pool2',
      'norm2',
      'conv3',
      'relu3',
      'conv4',
      'relu4',
      'conv5',
      'relu5',
    ]);
    expect(names(filterLayers(zfnet(), '256x13×13  relu'))).toEqual(['relu5']);
    expect(names(filterLayers(zfnet(), 'lrn'))).toEqual(['norm1', 'norm2']);
  });

  it('keeps model order and every layer for an empty query', () => {
    const model = googlenet();
    expect(filterLayers(model, '   ')).toEqual(model);
    const concat = filterLayers(model, 'concat');
    expect(concat).toHaveLength(9);
    expect(concat.map((l) => at(model, l.name))).toEqual(
      [...concat.map((l) => at(model, l.name))].sort((a, b) => a - b),
    );
  });

  it('finds nothing for a term nothing has', () => {
    expect(filterLayers(densenet121(), 'denselayer16 lstm')).toEqual([]);
    expect(queryTerms('  A\tb×c ')).toEqual(['a', 'bxc']);
  });
});

describe('branchInfo', () => {
  it('puts a chain in one column, one step per layer', () => {
    const layout = branchInfo(zfnet());
    expect(layout.columns).toBe(1);
    expect(layout.lanes).toBe(1);
    expect(layout.nodes.map((n) => n.step)).toEqual(zfnet().map((_, i) => i));
    expect(layout.edges).toHaveLength(14);
    // Without inputs each layer reads the one before it.
    expect(branchInfo(zfnet().map(({ name }) => ({ name })))).toEqual(layout);
  });

  it('runs a residual block’s shortcut beside its convolutions and joins them at the Add', () => {
    const model = resnet(18);
    const layout = branchInfo(model);
    const node = (name: string) => layout.nodes[at(model, name)]!;
    const fork = at(model, '/maxpool/MaxPool');
    const join = at(model, '/layer1/layer1.0/Add');
    expect(node('/layer1/layer1.0/conv1/Conv').column).toBe(0);
    expect(node('/layer1/layer1.0/conv2/Conv').column).toBe(0);
    expect(node('/layer1/layer1.0/Add')).toEqual({ column: 0, step: node('/maxpool/MaxPool').step + 4 });
    expect(layout.edges).toContainEqual({ from: fork, to: join, lane: 1 });
    expect(layout.edges).toContainEqual({ from: fork, to: fork + 1, lane: 0 });
    // A downsampling shortcut is a branch with a layer of its own, side by side with the first convolution.
    const down = node('/layer2/layer2.0/downsample/downsample.0/Conv');
    expect(down.column).toBe(1);
    expect(down.step).toBe(node('/layer2/layer2.0/conv1/Conv').step);
    expect(layout.columns).toBe(2);
    expect(layout.lanes).toBe(2);
  });

  it('puts an inception module’s four branches in four columns that meet at the Concat', () => {
    const model = googlenet();
    const layout = branchInfo(model);
    const node = (name: string) => layout.nodes[at(model, name)]!;
    const p = '/inception3a';
    const firsts = [
      `${p}/branch1/conv/Conv`,
      `${p}/branch2/branch2.0/conv/Conv`,
      `${p}/branch3/branch3.0/conv/Conv`,
      `${p}/branch4/branch4.0/MaxPool`,
    ].map(node);
    expect(firsts.map((n) => n.column)).toEqual([0, 1, 2, 3]);
    const start = node('/maxpool2/MaxPool').step + 1;
    expect(firsts.map((n) => n.step)).toEqual([start, start, start, start]);
    expect(node(`${p}/branch2/branch2.1/Relu`)).toEqual({ column: 1, step: start + 3 });
    expect(node(`${p}/branch4/branch4.1/Relu`)).toEqual({ column: 3, step: start + 2 });
    expect(node(`${p}/Concat`)).toEqual({ column: 0, step: start + 4 });
    const concat = at(model, `${p}/Concat`);
    expect(
      layout.edges
        .filter((e) => e.to === concat)
        .map((e) => e.lane)
        .sort(),
    ).toEqual([0, 1, 2, 3]);
    expect(layout.columns).toBe(4);
    // Nine modules of five steps each instead of fourteen layers each.
    expect(layout.steps).toBeLessThan(model.length / 2);
  });

  it('keeps DenseNet’s layers in one column with its skip connections in lanes beside it', () => {
    const layout = branchInfo(densenet121());
    expect(layout.columns).toBe(1);
    expect(layout.lanes).toBeGreaterThan(25);
    expect(layout.steps).toBe(densenet121().length);
  });

  it('never puts two layers at one place and always draws connections forward', () => {
    for (const model of [resnet(18), resnet(50), googlenet(), densenet121(), mobilenetV2(), zfnet()]) {
      const layout = branchInfo(model);
      expect(layout.nodes).toHaveLength(model.length);
      const places = new Set(layout.nodes.map((n) => `${n.column},${n.step}`));
      const byColumn = new Map<number, number[]>();
      for (const n of layout.nodes) byColumn.set(n.column, [...(byColumn.get(n.column) ?? []), n.step]);
      expect(places.size).toBe(model.length);
      for (const e of layout.edges) {
        expect(layout.nodes[e.to]!.step).toBeGreaterThan(layout.nodes[e.from]!.step);
        expect(e.lane).toBeLessThan(layout.lanes);
        // No mark sits on a connection's lane between its two ends.
        const [from, to] = [layout.nodes[e.from]!.step, layout.nodes[e.to]!.step];
        expect((byColumn.get(e.lane) ?? []).filter((s) => s > from && s < to)).toEqual([]);
      }
    }
  });

  it('ignores the network input, unknown names and later layers', () => {
    const layout = branchInfo([
      { name: 'a', inputs: ['input'] },
      { name: 'b', inputs: ['input'] },
      { name: 'c', inputs: ['a', 'flatten', 'd'] },
      { name: 'd', inputs: ['b', 'c'] },
    ]);
    expect(layout.nodes).toEqual([
      { column: 0, step: 0 },
      { column: 1, step: 0 },
      { column: 0, step: 1 },
      { column: 0, step: 2 },
    ]);
    expect(layout.edges).toEqual([
      { from: 0, to: 2, lane: 0 },
      { from: 1, to: 3, lane: 1 },
      { from: 2, to: 3, lane: 0 },
    ]);
  });
});

describe('the switch to the combobox', () => {
  it('keeps chain models on the plain select', () => {
    expect(zfnet().length).toBeLessThan(COMBOBOX_MIN_LAYERS);
    expect(resnet(18).length).toBeGreaterThanOrEqual(COMBOBOX_MIN_LAYERS);
  });
});
