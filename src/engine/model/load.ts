/** Loads a model folder (model.json + shards) through any reader: fetch in the browser, fs in Node. */
import { createModel, type ZfModel } from './model';
import { decodeWeights, parseModelJson, type ModelJson } from './format';

export type ReadFile = (path: string) => Promise<ArrayBuffer>;

export interface LoadedModel {
  model: ZfModel;
  json: ModelJson;
}

export async function loadModel(
  read: ReadFile,
  onProgress?: (fraction: number) => void,
): Promise<LoadedModel> {
  const json = parseModelJson(new TextDecoder().decode(await read('model.json')));
  const weights = await decodeWeights(json, read, onProgress);
  return { model: createModel(json.spec, weights), json };
}
