/** The engine's public surface: framework-free, runs in a worker, in Node and in tests. */
export { tf } from './tf';
export * from './model/spec';
export * from './model/zfnet';
export * from './model/format';
export * from './model/model';
export * from './model/load';
export * from './model/preprocess';
export { Rng } from './model/random';
export * from './forward';
export * from './analysis';
export * from './backend';
export * from './ops/conv';
export * from './ops/lrn';
export * from './ops/deconvnet';
export * from './ops/render';
export * from './ops/classify';
export * from './ops/pool';
export * from './ops/occlusion';
