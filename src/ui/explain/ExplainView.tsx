/**
 * The "How it works" tab: the seed's worked conv2d, conv2d_transpose and unpooling examples, live (every
 * number editable, recomputed by the engine the projections use, checked against the seed's printed values
 * and against step-by-step loops), and the steps of a real projection of the current image.
 */
import { useEffect } from 'react';
import { EXPLAIN_DEMOS } from '../../state/explainSlice';
import { useLens } from '../../state/store';
import { Conv2dDemo } from './Conv2dDemo';
import { ProjectionSteps } from './ProjectionSteps';
import { TransposeDemo } from './TransposeDemo';
import { UnpoolDemo } from './UnpoolDemo';
import './explain.css';

export function ExplainView() {
  const refresh = useLens((s) => s.refreshExplain);
  const backend = useLens((s) => s.backend?.backend ?? null);

  // The engine's results for the numbers as they are (the worker answers once its backend is up).
  useEffect(() => {
    for (const demo of EXPLAIN_DEMOS) refresh(demo, 0);
  }, [refresh]);

  return (
    <section className="explain-view" id="view-explain" role="tabpanel" aria-labelledby="tab-explain">
      <div className="panel explain-intro">
        <h2 className="panel-title">How it works</h2>
        <p className="caption">
          The deconvnet projects a feature map to pixels with three operations: unpooling through the
          switches, rectification and the transposed convolution. Here are the seed document’s worked examples
          of them, each computed by the engine that draws the projections
          {backend ? ` (now on ${backend})` : ''}, beside the same numbers worked out step by step. The badges
          say whether they equal the values the seed printed.
        </p>
      </div>
      <Conv2dDemo />
      <TransposeDemo />
      <UnpoolDemo />
      <ProjectionSteps />
    </section>
  );
}
