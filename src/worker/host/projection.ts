/** One projection of a cached image, rendered for a canvas: what the projection panels of the app show. */
import * as Comlink from 'comlink';
import { project, projectionToRgba, type Analysis, type ZfModel } from '../../engine';
import type { ProjectionRequest, ProjectionResult } from '../protocol/api';
import { activeBounds } from './bounds';

export async function renderProjection(
  model: ZfModel,
  analysis: Analysis,
  imageId: number,
  request: ProjectionRequest,
): Promise<ProjectionResult> {
  const t0 = performance.now();
  const req: ProjectionRequest = { ...request };
  const pixels = project(model, analysis.pass, req);
  try {
    const image = await projectionToRgba(pixels);
    const result: ProjectionResult = {
      imageId,
      request: req,
      ...image,
      bounds: activeBounds(image),
      ms: performance.now() - t0,
    };
    return Comlink.transfer(result, [image.data.buffer]);
  } finally {
    pixels.dispose();
  }
}
