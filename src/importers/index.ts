/**
 * Model import entry point for the CLI (`import`) and the browser worker: picks the importer from the file
 * names and contents. Browser-safe (no Node APIs): callers pass the bytes.
 *
 * - `.onnx`                                  -> importOnnx
 * - `.caffemodel` (+ optional `.prototxt`)   -> importCaffe
 * - `model.json` + its `.bin` shards         -> a ZF Lens model folder (the engine's format)
 * Files with other names are recognised by their first bytes where possible.
 */
import { decodeWeights, ModelFormatError, parseModelJson } from '../engine';
import { importCaffe } from './caffe';
import { ImportError, preprocessingFrom, type ImportOptions, type ImportResult } from './common';
import { importOnnx } from './onnx';

export { importOnnx, ZFNET512_PREPROCESSING } from './onnx';
export {
  importCaffe,
  decodeCaffemodel,
  parsePrototxt,
  CAFFE_ZF_PREPROCESSING,
  type CaffeFiles,
} from './caffe';
export { ImportError, LayerNamer, type ImportOptions, type ImportResult, type LayerSource } from './common';

export interface ImportFile {
  name: string;
  bytes: Uint8Array;
}

type Kind = 'onnx' | 'caffemodel' | 'prototxt' | 'modeljson' | 'shard' | 'data' | 'unknown';

function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] ?? path;
}

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return magic.every((b, i) => bytes[i] === b);
}

/** A reason the bytes are certainly not a model, or null. */
function foreignFormat(bytes: Uint8Array): string | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47])) return 'a PNG image';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'a JPEG image';
  if (startsWith(bytes, [0x1f, 0x8b])) return "a gzip archive (extract it first, e.g. the zoo's .tar.gz)";
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return 'a zip archive (extract it first)';
  if (startsWith(bytes, [0x89, 0x48, 0x44, 0x46]))
    return 'an HDF5 file (Keras / Caffe HDF5 weights are not supported)';
  if (startsWith(bytes, [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59])) return 'a NumPy .npy file';
  if (startsWith(bytes, [0x80]) && bytes[1] !== undefined && bytes[1] <= 5)
    return 'a Python pickle (PyTorch checkpoints are not supported: export to ONNX)';
  if (bytes.byteLength > 262 && startsWith(bytes.subarray(257), [0x75, 0x73, 0x74, 0x61, 0x72])) {
    return 'a tar archive (extract it first)';
  }
  return null;
}

function looksLikeText(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.byteLength, 512);
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = bytes[i] ?? 0;
    if (c < 9 || (c > 13 && c < 32)) return false;
  }
  return true;
}

function kindOf(file: ImportFile): Kind {
  const name = baseName(file.name).toLowerCase();
  if (name.endsWith('.onnx')) return 'onnx';
  if (name.endsWith('.caffemodel')) return 'caffemodel';
  if (name.endsWith('.prototxt') || name.endsWith('.pbtxt')) return 'prototxt';
  if (name === 'model.json' || name.endsWith('.json')) return 'modeljson';
  if (name.endsWith('.bin')) return 'shard';
  // By content: ONNX's ModelProto starts with ir_version (field 1, varint: 0x08); a Caffe NetParameter with
  // its name (0x0a), V1 layers (0x12), inputs (0x1a) or V2 layers (field 100: 0xa2 0x06).
  const b = file.bytes;
  if (b[0] === 0x08) return 'onnx';
  if (looksLikeText(b)) {
    const text = new TextDecoder().decode(b.subarray(0, 512)).trimStart();
    if (text.startsWith('{')) return 'modeljson';
    return 'prototxt';
  }
  if (b[0] === 0x0a || b[0] === 0x12 || b[0] === 0x1a || (b[0] === 0xa2 && b[1] === 0x06))
    return 'caffemodel';
  return 'unknown';
}

function applyOverrides(result: ImportResult, options: ImportOptions): ImportResult {
  const spec = result.spec;
  if (options.inputSize) {
    throw new ImportError('a ZF Lens model folder fixes its input size; it cannot be overridden');
  }
  const prep = preprocessingFrom(spec.preprocessing, spec.preprocessing.inputSize, options);
  return {
    ...result,
    spec: {
      ...spec,
      name: options.name ?? spec.name,
      description: options.description ?? spec.description,
      labels: options.labels ?? spec.labels,
      preprocessing: prep,
    },
  };
}

async function importModelFolder(
  modelJson: ImportFile,
  files: ImportFile[],
  options: ImportOptions,
): Promise<ImportResult> {
  const byName = new Map(files.map((f) => [baseName(f.name), f]));
  try {
    const json = parseModelJson(new TextDecoder().decode(modelJson.bytes));
    const weights = await decodeWeights(json, async (path) => {
      const shard = byName.get(baseName(path));
      if (!shard) throw new ModelFormatError(`weight shard "${path}" named in model.json is missing`);
      const copy = new Uint8Array(shard.bytes.byteLength);
      copy.set(shard.bytes);
      return copy.buffer;
    });
    const result: ImportResult = {
      spec: json.spec,
      weights,
      sources: json.spec.layers.map((l) => ({
        layer: l.name,
        from: [`${l.type} "${l.name}"`],
        tensor: l.name,
      })),
      warnings: [],
      format: 'zf-lens',
    };
    return applyOverrides(result, options);
  } catch (e) {
    if (e instanceof ModelFormatError) throw new ImportError(`${modelJson.name}: ${e.message}`);
    throw e;
  }
}

/**
 * Imports a model from its files: one `.onnx`; or one `.caffemodel` with an optional `.prototxt`; or a ZF
 * Lens model folder (`model.json` plus the shards it names). Throws ImportError with a message for the user.
 */
export async function importModelFile(
  files: ImportFile[],
  options: ImportOptions = {},
): Promise<ImportResult> {
  if (files.length === 0) throw new ImportError('no files given');
  // Beside a file named .onnx, files not named as another model part are its external data files (their
  // bytes are raw tensors: recognising them by content would be guesswork).
  const isOnnxName = (f: ImportFile) => /\.onnx$/i.test(baseName(f.name));
  const otherPart = (f: ImportFile) => /\.(onnx|caffemodel|prototxt|pbtxt|json)$/i.test(baseName(f.name));
  const withOnnx = files.some(isOnnxName);
  const kinds = files.map((f) => ({
    file: f,
    kind: (withOnnx && !otherPart(f) ? 'data' : kindOf(f)) as Kind,
  }));
  const of = (kind: Kind): ImportFile[] => kinds.filter((k) => k.kind === kind).map((k) => k.file);

  for (const { file, kind } of kinds) {
    if (kind === 'shard' || kind === 'modeljson' || kind === 'prototxt' || kind === 'data') continue;
    const foreign = foreignFormat(file.bytes);
    if (foreign) throw new ImportError(`${file.name} is ${foreign}, not a model file`);
    if (file.bytes.byteLength === 0) throw new ImportError(`${file.name} is empty`);
  }

  const modelJsons = of('modeljson');
  if (modelJsons.length > 0) {
    if (modelJsons.length > 1)
      throw new ImportError(
        `several .json files given (${modelJsons.map((f) => f.name).join(', ')}); give one model.json`,
      );
    return importModelFolder(modelJsons[0]!, files, options);
  }

  const onnxFiles = of('onnx');
  const caffemodels = of('caffemodel');
  const prototxts = of('prototxt');
  if (onnxFiles.length + caffemodels.length > 1) {
    throw new ImportError(
      `several model files given (${[...onnxFiles, ...caffemodels].map((f) => f.name).join(', ')}); give one`,
    );
  }
  const onnxFile = onnxFiles[0];
  if (onnxFile) {
    if (prototxts.length > 0)
      throw new ImportError('a .prototxt goes with a .caffemodel, not with an ONNX file');
    try {
      // PyTorch names every exported graph "torch_jit" (older versions "torch-jit-export"; other exporters
      // "main_graph"): such a model is named after its file.
      const fileName = baseName(onnxFile.name).replace(/\.onnx$/i, '');
      // The other files given are the external data files the model may name (by their names).
      const data = new Map(files.filter((f) => f !== onnxFile).map((f) => [baseName(f.name), f.bytes]));
      const externalData = options.externalData ?? ((location: string) => data.get(baseName(location)));
      return importOnnx(onnxFile.bytes, {
        ...(fileName ? { fallbackName: fileName } : {}),
        ...options,
        externalData,
      });
    } catch (e) {
      if (e instanceof ImportError) throw new ImportError(`${onnxFile.name}: ${e.message}`);
      throw e;
    }
  }
  const caffemodel = caffemodels[0];
  if (caffemodel) {
    let prototxt = prototxts[0];
    if (prototxts.length > 1) {
      const deploy = prototxts.filter((p) => /deploy|test/i.test(baseName(p.name)));
      if (deploy.length !== 1) {
        throw new ImportError(
          `several .prototxt files given (${prototxts.map((f) => f.name).join(', ')}); give the deploy one`,
        );
      }
      prototxt = deploy[0];
    }
    try {
      return importCaffe(
        {
          caffemodel: caffemodel.bytes,
          caffemodelName: caffemodel.name,
          ...(prototxt ? { prototxt: prototxt.bytes, prototxtName: prototxt.name } : {}),
        },
        options,
      );
    } catch (e) {
      if (e instanceof ImportError && !e.message.startsWith(caffemodel.name)) {
        throw new ImportError(`${caffemodel.name}: ${e.message}`);
      }
      throw e;
    }
  }
  if (prototxts.length > 0) {
    throw new ImportError(
      'a .prototxt only describes the network; the weights are in the .caffemodel: give both files',
    );
  }
  const names = files.map((f) => f.name).join(', ');
  throw new ImportError(
    `could not recognise ${names} as a model: expected an .onnx file, a .caffemodel (+ .prototxt) or a ZF Lens model.json with its shards`,
  );
}
