/**
 * Tells model files from images in a drop or a file pick: by extension first, then by the first bytes for
 * files without a telling name. Images keep their own path (openFile); model files go to the importer.
 */
const MODEL_EXTENSIONS = /\.(onnx|caffemodel|prototxt|pbtxt|json|bin|data)$/i;
const IMAGE_EXTENSIONS = /\.(png|jpe?g|gif|webp|bmp|avif|ico|svg)$/i;

/** The `accept` list for a model file input. */
export const MODEL_FILE_ACCEPT = '.onnx,.caffemodel,.prototxt,.pbtxt,.json,.bin,.data';

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return magic.every((b, i) => bytes[i] === b);
}

/** 'image', 'model' or 'unknown' from the first bytes. */
function sniff(bytes: Uint8Array): 'image' | 'model' | 'unknown' {
  if (
    startsWith(bytes, [0x89, 0x50, 0x4e, 0x47]) || // PNG
    startsWith(bytes, [0xff, 0xd8, 0xff]) || // JPEG
    startsWith(bytes, [0x47, 0x49, 0x46, 0x38]) || // GIF
    startsWith(bytes, [0x42, 0x4d]) || // BMP
    (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes.subarray(8), [0x57, 0x45, 0x42, 0x50])) // WebP
  ) {
    return 'image';
  }
  // ONNX ModelProto starts with ir_version (field 1, varint).
  if (bytes[0] === 0x08) return 'model';
  return 'unknown';
}

/** True when the files are a model to import (any model file among them), false for an image. */
export async function isModelDrop(files: readonly File[]): Promise<boolean> {
  if (files.some((f) => MODEL_EXTENSIONS.test(f.name))) return true;
  if (files.some((f) => IMAGE_EXTENSIONS.test(f.name) || f.type.startsWith('image/'))) return false;
  const first = files[0];
  if (!first || first.size === 0) return false;
  const head = new Uint8Array(await first.slice(0, 16).arrayBuffer());
  return sniff(head) === 'model';
}
