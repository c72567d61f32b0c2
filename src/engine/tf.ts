/** The one place the engine imports TensorFlow.js core from; backends are registered in backend.ts. */
export * as tf from '@tensorflow/tfjs-core';
export type { Tensor, Tensor1D, Tensor2D, Tensor3D, Tensor4D, Rank } from '@tensorflow/tfjs-core';
