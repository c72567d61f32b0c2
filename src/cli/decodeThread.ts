/**
 * A decoding thread of the command line and the Node benchmark (./decodeThreads.ts): reads and decodes PNG
 * and JPEG images and turns them into network inputs while the main thread runs the network. No tfjs here.
 */
import { parentPort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import { bytesInput, fileInput, fileRgb, type DecodeThreadApi } from './decodeInput';
import { nodeEndpoint } from './nodeEndpoint';

if (!parentPort) throw new Error('decodeThread.ts runs as a worker thread');

const transferred = (values: Float32Array) => Comlink.transfer(values, [values.buffer]);

const api: DecodeThreadApi = {
  fileInput: async (path, prep) => transferred(await fileInput(path, prep)),
  bytesInput: async (bytes, name, prep) => transferred(await bytesInput(bytes, name, prep)),
  fileRgb: async (path, prep) => transferred(await fileRgb(path, prep)),
};

Comlink.expose(api, nodeEndpoint(parentPort));
