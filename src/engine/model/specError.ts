/** A model spec that the engine cannot run; the message names the layer and what is wrong. */
export class SpecError extends Error {
  override name = 'SpecError';
}
