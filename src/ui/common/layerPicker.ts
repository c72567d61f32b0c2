/**
 * The layer picker's logic, free of React and the DOM (see ./LayerSelect.tsx): which block a layer belongs to,
 * the picker's groups, the filter, and the branch columns of the compact graph strip.
 *
 * Models imported from ONNX name their layers after the module that ran them, e.g. PyTorch's exporter:
 * `/layer4/layer4.1/relu_1/Relu` (ResNet), `/inception5b/branch3/branch3.1/conv/Conv` (GoogLeNet),
 * `/features/denseblock4/denselayer16/conv2/Conv` (DenseNet), `/features/features.3/conv/conv.2/Conv`
 * (MobileNetV2). Module names written with dots (`layer4.1.relu`) read the same way. Chain models keep short
 * names (`conv1`, `pool5`) and form one group.
 */

/** From this many layers on the picker is a filterable, grouped combobox instead of a plain `<select>`. */
export const COMBOBOX_MIN_LAYERS = 25;

/** A block holding more layers than this is split into its sub-modules (see {@link blockNamer}). */
export const MAX_BLOCK_LAYERS = 24;

/** What the functions here read of a layer; `MapLayerInfo` (../../worker/protocol/api.ts) has all of it. */
export interface PickerLayer {
  name: string;
  type: string;
  height: number;
  width: number;
  channels: number;
}

/** Separates the parts of a block's display name. */
export const BLOCK_SEPARATOR = ' / ';

/**
 * A name split into the modules it sits in (outermost first) and the last part, the op or leaf module that
 * produced it. `/layer4/layer4.1/relu_1/Relu` -> modules `layer4, layer4.1, relu_1`, last part `Relu`;
 * `layer4.1.relu` -> modules `layer4, layer4.1`, last part `relu` (a number joins the part before it, as
 * PyTorch's exporter writes the items of a Sequential: `layer4.1`); `conv1` -> no modules.
 */
export function nameParts(name: string): { modules: string[]; last: string; slashed: boolean } {
  if (name.includes('/')) {
    const parts = name.split('/').filter((p) => p !== '');
    return { modules: parts.slice(0, -1), last: parts[parts.length - 1] ?? name, slashed: true };
  }
  const parts: string[] = [];
  for (const p of name.split('.')) {
    if (p === '') continue;
    const before = parts[parts.length - 1];
    parts.push(/^\d+$/.test(p) && before !== undefined ? `${before}.${p}` : p);
  }
  return { modules: parts.slice(0, -1), last: parts[parts.length - 1] ?? name, slashed: false };
}

const KEY = '\u0000';

/**
 * The block rule, for one model's layer names (their block depends on the other names: whether a module holds
 * sub-modules and how many layers it holds). Returns a function from a name (one of `names` or not) to its
 * block, the module path joined by {@link BLOCK_SEPARATOR}, or '' for the top level.
 *
 * 1. A layer's home is the module path it sits in (see {@link nameParts}), less its last module when that is a
 *    leaf module, one holding no sub-modules anywhere in the model, since it only wraps the op: `conv1` in
 *    `/layer4/layer4.1/conv1/Conv`, `relu` in `/relu/Relu`. (Dotted names already name the leaf module last.)
 * 2. Walking the home path from the top, a module is *open* (its sub-modules are separate blocks) when it is
 *    a container of numbered items (`layer4` holding `layer4.0`, `layer4.1`; `features` holding
 *    `features.0` ... `features.18`: a Sequential or ModuleList of repeated blocks) or when it holds more than
 *    {@link MAX_BLOCK_LAYERS} layers. The top level is always open.
 * 3. The block is the home path up to and including its first module that is not open, or the whole home
 *    path when all are open (layers sitting directly in an open module, e.g. DenseNet's
 *    `/features/denseblock1/Concat`, form that module's block).
 *
 * So ResNet gives one block per residual block (`layer4 / layer4.1`), GoogLeNet one per inception module
 * (`inception5b`, whose branches are named, not numbered), DenseNet one per dense layer
 * (`features / denseblock4 / denselayer16`) and transition, MobileNetV2 one per inverted residual
 * (`features / features.3`); the stem's single ops (`/conv1/Conv`, `/maxpool/MaxPool`) and chain models'
 * short names are top level (''). That is 10-20 groups for ResNet-18/50 and GoogLeNet, about 50 for
 * ResNet-152, 70 for DenseNet-121 and 20 for MobileNetV2.
 */
export function blockNamer(names: readonly string[]): (name: string) => string {
  const hasSub = new Set<string>();
  const numbered = new Set<string>();
  const count = new Map<string, number>();
  const parsed = new Map<string, ReturnType<typeof nameParts>>();
  const parse = (name: string) => {
    let p = parsed.get(name);
    if (!p) parsed.set(name, (p = nameParts(name)));
    return p;
  };
  for (const name of names) {
    const { modules } = parse(name);
    for (let d = 0; d < modules.length; d++) {
      const key = modules.slice(0, d + 1).join(KEY);
      count.set(key, (count.get(key) ?? 0) + 1);
      const child = modules[d + 1];
      if (child !== undefined) {
        hasSub.add(key);
        if (isItemOf(child, modules[d] ?? '')) numbered.add(key);
      }
    }
  }
  return (name) => {
    const { modules, slashed } = parse(name);
    const keyAt = (d: number) => modules.slice(0, d + 1).join(KEY);
    let home = modules.length;
    if (slashed && home > 0 && !hasSub.has(keyAt(home - 1))) home--;
    let end = home;
    for (let d = 0; d < home; d++) {
      const key = keyAt(d);
      const open = numbered.has(key) || (count.get(key) ?? 0) > MAX_BLOCK_LAYERS;
      if (!open) {
        end = d + 1;
        break;
      }
    }
    return modules.slice(0, end).join(BLOCK_SEPARATOR);
  };
}

/** Whether module `child` is a numbered item of `parent`: `layer4.1` of `layer4`. */
function isItemOf(child: string, parent: string): boolean {
  return (
    child.length > parent.length + 1 &&
    child.startsWith(`${parent}.`) &&
    /^\d+$/.test(child.slice(parent.length + 1))
  );
}

/**
 * The block `name` belongs to among the model's layer `names` (see {@link blockNamer} for the rule). Judged
 * alone (no `names`), a name cannot tell a leaf module from a block with ops of its own: pass the model's names
 * for the picker's grouping.
 */
export function blockOf(name: string, names: readonly string[] = [name]): string {
  return blockNamer(names)(name);
}

export interface LayerGroup<T> {
  /** The block's display name ('' for the top level). */
  block: string;
  layers: T[];
}

/**
 * The layers in groups by block, in model order: each group is a run of consecutive layers of one block, so a
 * block the model leaves and comes back to (the top level of a ResNet: its stem, then its pooling) appears
 * once per run. `blockFor` defaults to the rule for these layers' names; pass the whole model's
 * {@link blockNamer} to group a filtered list the way the whole model is grouped.
 */
export function groupLayers<T extends { name: string }>(
  layers: readonly T[],
  blockFor: (name: string) => string = blockNamer(layers.map((l) => l.name)),
): LayerGroup<T>[] {
  const groups: LayerGroup<T>[] = [];
  for (const layer of layers) {
    const block = blockFor(layer.name);
    const last = groups[groups.length - 1];
    if (last && last.block === block) last.layers.push(layer);
    else groups.push({ block, layers: [layer] });
  }
  return groups;
}

/** The text a query is matched against: name, type and shape (`256x13x13`, `13x13` as width x height and height x width). */
export function layerSearchText(layer: PickerLayer): string {
  const { name, type, height, width, channels } = layer;
  return [name, type, `${channels}x${height}x${width}`, `${width}x${height}`, `${height}x${width}`]
    .join('\n')
    .toLowerCase();
}

/** A query's terms: lower case, split at white space, `×` read as `x`. */
export function queryTerms(query: string): string[] {
  return query
    .toLowerCase()
    .replace(/×/g, 'x')
    .split(/\s+/)
    .filter((t) => t !== '');
}

/**
 * The layers matching every white-space separated term of `query` (case-insensitive substrings of the
 * name, type or shape text, see {@link layerSearchText}): "layer4 relu", "13x13", "conv5". Model order is
 * kept; an empty query keeps every layer.
 */
export function filterLayers<T extends PickerLayer>(layers: readonly T[], query: string): T[] {
  const terms = queryTerms(query);
  if (terms.length === 0) return [...layers];
  return layers.filter((l) => {
    const text = layerSearchText(l);
    return terms.every((t) => text.includes(t));
  });
}

export interface BranchNode {
  /** The column (lane) the layer's mark sits in; 0 for a chain. */
  column: number;
  /** Its position along the strip: one more than the furthest of its inputs and than the layer before it in its column. */
  step: number;
}

export interface BranchEdge {
  /** Index of the layer producing the tensor. */
  from: number;
  /** Index of the layer reading it. */
  to: number;
  /** The lane the connection runs in between the two steps. */
  lane: number;
}

export interface BranchLayout {
  nodes: BranchNode[];
  edges: BranchEdge[];
  /** Columns holding a mark (largest column + 1). */
  columns: number;
  /** Lanes used by marks and connections together (at least `columns`). */
  lanes: number;
  /** Steps used (largest step + 1). */
  steps: number;
}

/**
 * Branch columns for the compact graph strip, in the manner of `git log --graph`: layers are taken in model
 * order (a topological order), each connection from a layer to a reader of its output holds a lane from the
 * moment the producer is placed until the reader is.
 *
 * - A layer's inputs are the names in `inputs` that name an earlier layer of the list; 'input', names of
 *   layers that are not in the list and later layers are ignored. Without `inputs` a layer reads the one before
 *   it.
 * - A layer with inputs sits in the leftmost lane of its incoming connections; the other lanes are freed there
 *   (a join: Add, Concat). A layer without any sits in the lowest free lane.
 * - Its output's first reader (in model order) continues in its column; each further reader gets the lowest
 *   free lane (a fork: the residual branch stays in line, the shortcut runs beside it; an inception module's
 *   four branches take four columns).
 *
 * A chain is one column. Steps put parallel branches side by side: a layer's step is one more than its
 * furthest input's and than the previous layer in its column, so no two layers share a column and a step.
 */
export function branchInfo(layers: readonly { name: string; inputs?: readonly string[] }[]): BranchLayout {
  const index = new Map<string, number>();
  layers.forEach((l, i) => {
    if (!index.has(l.name)) index.set(l.name, i);
  });
  const inputsOf: number[][] = layers.map((l, i) => {
    const names = l.inputs ?? (i > 0 ? [layers[i - 1]!.name] : []);
    const known: number[] = [];
    for (const n of names) {
      const j = index.get(n);
      if (j !== undefined && j < i && !known.includes(j)) known.push(j);
    }
    return known;
  });
  const readers: number[][] = layers.map(() => []);
  inputsOf.forEach((ins, i) => ins.forEach((j) => readers[j]!.push(i)));

  const busy: boolean[] = [];
  const take = (): number => {
    let k = busy.indexOf(false);
    if (k < 0) k = busy.length;
    busy[k] = true;
    return k;
  };
  const laneOf = new Map<string, number>();
  const lastStep: number[] = [];
  const nodes: BranchNode[] = [];
  const edges: BranchEdge[] = [];
  let columns = 0;
  let steps = 0;

  layers.forEach((_, i) => {
    const ins = inputsOf[i]!;
    const incoming = ins.map((j) => laneOf.get(`${j}>${i}`) ?? take());
    const column = incoming.length > 0 ? Math.min(...incoming) : take();
    for (const k of incoming) busy[k] = false;
    busy[column] = false;
    let step = (lastStep[column] ?? -1) + 1;
    for (const j of ins) step = Math.max(step, nodes[j]!.step + 1);
    lastStep[column] = step;
    nodes.push({ column, step });
    columns = Math.max(columns, column + 1);
    steps = Math.max(steps, step + 1);
    readers[i]!.forEach((r, n) => {
      let lane: number;
      if (n === 0) {
        lane = column;
        busy[column] = true;
      } else lane = take();
      laneOf.set(`${i}>${r}`, lane);
      edges.push({ from: i, to: r, lane });
    });
  });
  return { nodes, edges, columns, lanes: Math.max(busy.length, columns), steps };
}
