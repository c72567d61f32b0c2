/**
 * The engine's tensor-free part, for the main thread: constants and pure functions on plain arrays (no
 * TensorFlow.js, so importing it keeps tfjs out of the page's bundle). Everything here is also exported by
 * engine/index.ts, the whole public surface, which the worker and the CLI use.
 */
export * from './model/pixels';
export { Rng } from './model/random';
export { SpecError } from './model/specError';
export * from './data/synthetic';
export * from './ops/occlusionGrid';
export * from './experiments/series';
export * from './experiments/transforms';
export * from './explain/seed';
export * from './explain/steps';
