/** The "How it works" explainer: the seed's worked examples, step by step and through the engine's ops. */
export * from './seed';
export * from './steps';
export * from './engine';
export * from './trace';
