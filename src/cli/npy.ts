/**
 * NumPy .npy writer (format version 1.0): little-endian float32 ('<f4'), C order. The header is a Python dict
 * literal padded with spaces and ended by a newline so that the data starts at a multiple of 64 bytes.
 */

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const PREAMBLE_BYTES = MAGIC.length + 2 + 2; // magic, version, header length (uint16)

function shapeTuple(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** The bytes of an .npy file holding `values` with the given shape. */
export function encodeNpyFloat32(values: Float32Array, shape: readonly number[]): Uint8Array {
  if (!shape.every((d) => Number.isInteger(d) && d >= 0))
    throw new Error(`invalid .npy shape [${shape.join(', ')}]`);
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== values.length)
    throw new Error(`.npy shape [${shape.join(', ')}] needs ${size} values, got ${values.length}`);
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeTuple(shape)}, }`;
  const unpadded = PREAMBLE_BYTES + dict.length + 1; // + the closing newline
  const headerLength = dict.length + 1 + ((64 - (unpadded % 64)) % 64);
  if (headerLength > 0xffff) throw new Error('.npy header too long for format version 1.0');
  const out = new Uint8Array(PREAMBLE_BYTES + headerLength + values.length * 4);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[6] = 1; // major version
  out[7] = 0; // minor version
  view.setUint16(8, headerLength, true);
  const header = dict.padEnd(headerLength - 1, ' ') + '\n';
  for (let i = 0; i < header.length; i++) out[PREAMBLE_BYTES + i] = header.charCodeAt(i);
  const dataStart = PREAMBLE_BYTES + headerLength;
  for (let i = 0; i < values.length; i++) view.setFloat32(dataStart + i * 4, values[i] ?? 0, true);
  return out;
}

/**
 * Reads an .npy file (format 1.x-3.x) of little-endian float32 or float64 values in C order; `what` names
 * the file in errors.
 */
export function decodeNpy(bytes: Uint8Array, what: string): { shape: number[]; data: Float32Array } {
  const bad = (why: string) => new Error(`${what} is not a usable .npy file: ${why}`);
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b))
    throw bad('it does not start with \\x93NUMPY');
  const major = bytes[6] ?? 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major >= 2 ? view.getUint32(8, true) : view.getUint16(8, true);
  const start = major >= 2 ? 12 : 10;
  if (start + headerLength > bytes.length) throw bad('its header is truncated');
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined)
    throw bad('its header has no descr, fortran_order or shape');
  if (fortran === 'True') throw bad('it is in Fortran order (save it with numpy.ascontiguousarray)');
  const size = descr === '<f4' ? 4 : descr === '<f8' ? 8 : 0;
  if (!size) throw bad(`its dtype is ${descr}; only little-endian float32 (<f4) and float64 (<f8) are read`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0))
    throw bad(`its shape (${shapeText}) is not a list of sizes`);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLength;
  if (bytes.length - dataStart < count * size)
    throw bad(`it holds fewer than the ${count} values its shape needs`);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    data[i] =
      size === 4 ? view.getFloat32(dataStart + i * 4, true) : view.getFloat64(dataStart + i * 8, true);
  }
  return { shape, data };
}
