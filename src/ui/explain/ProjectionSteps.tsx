/**
 * Section 4: a real projection of the current image, step by step down the network (unpool, rectify,
 * transposed conv, ...): the signal after each step as a small image (summed over channels, zero mid-grey),
 * with its numbers in a table. Opened from the projection panel too.
 */
import { useEffect, useRef } from 'react';
import { useLens } from '../../state/store';
import { RgbaCanvas } from '../common/RgbaCanvas';
import { formatMs } from '../common/format';
import { formatNumber } from './format';

export function ProjectionSteps() {
  const result = useLens((s) => s.projectionSteps);
  const status = useLens((s) => s.projectionStepsStatus);
  const error = useLens((s) => s.projectionStepsError);
  const opened = useLens((s) => s.projectionStepsOpened);
  const refresh = useLens((s) => s.refreshProjectionSteps);
  const hasImage = useLens((s) => s.image !== null);
  const imageId = useLens((s) => s.image?.id ?? null);
  const selection = useLens((s) =>
    s.layer !== null && s.channel !== null ? `${s.layer} #${s.channel} · ${s.mode} · ${s.method}` : null,
  );
  const ref = useRef<HTMLElement>(null);

  useEffect(() => {
    if (opened === 0) return;
    ref.current?.scrollIntoView({ block: 'start' });
    ref.current?.querySelector<HTMLElement>('h3')?.focus();
  }, [opened]);

  const req = result?.request;
  const shownFor = req ? `${req.layer} #${req.channel} · ${req.mode} · ${req.method}` : null;
  const outdated = result !== null && (result.imageId !== imageId || shownFor !== selection);

  return (
    <section
      ref={ref}
      className="panel explain-demo"
      aria-labelledby="explain-steps-title"
      aria-busy={status === 'loading'}
      data-testid="explain.steps"
    >
      <h3 id="explain-steps-title" tabIndex={-1}>
        4. From a real layer: the signal after each step down the network
      </h3>
      <p className="caption">
        The projection of the selected feature map of the current image (Feature maps tab), walked from its
        layer down to the pixels. Each picture is the signal after one step, summed over its channels: zero is
        mid-grey, the largest magnitude black or white.
      </p>
      <div className="explain-badges">
        <button
          type="button"
          className="button"
          data-testid="explain.steps.refresh"
          disabled={!hasImage || selection === null || status === 'loading'}
          onClick={() => void refresh()}
        >
          {result ? 'Show the current projection’s steps' : 'Show the steps'}
        </button>
        <span className="caption" role="status">
          {!hasImage
            ? 'Load an image first.'
            : selection === null
              ? 'Select a feature map in the Feature maps tab.'
              : status === 'loading'
                ? 'Computing…'
                : status === 'error'
                  ? `Failed: ${error}`
                  : result
                    ? `${shownFor} · ${result.steps.length} steps · ${formatMs(result.ms)}${outdated ? ' (not the current selection)' : ''}`
                    : `Selected: ${selection}`}
        </span>
      </div>
      {result && (
        <>
          <ol className="explain-strip" data-testid="explain.steps.strip">
            {result.steps.map((s, i) => (
              <li key={i}>
                <figure>
                  <RgbaCanvas
                    source={s}
                    className="pixelated"
                    data-testid={`explain.steps.image.${i}`}
                    role="img"
                    aria-label={`step ${i + 1}: ${s.step} at ${s.layer}, ${s.height}×${s.width}×${s.channels}`}
                  />
                  <figcaption>
                    {i + 1}. {s.step}
                    <br />
                    <span className="caption">{s.layer}</span>
                  </figcaption>
                </figure>
              </li>
            ))}
          </ol>
          <div className="explain-scroll">
            <table className="explain-table steps" data-testid="explain.steps.table">
              <caption>The signal after each step</caption>
              <thead>
                <tr>
                  <th scope="col">Step</th>
                  <th scope="col">What</th>
                  <th scope="col">Layer</th>
                  <th scope="col">Height × width × channels</th>
                  <th scope="col">Largest |value|</th>
                  <th scope="col">Non-zero positions</th>
                </tr>
              </thead>
              <tbody>
                {result.steps.map((s, i) => (
                  <tr key={i}>
                    <th scope="row">{i + 1}</th>
                    <td>{s.step}</td>
                    <td>{s.layer}</td>
                    <td>
                      {s.height} × {s.width} × {s.channels}
                    </td>
                    <td>{formatNumber(s.peak)}</td>
                    <td>
                      {s.active} of {s.height * s.width}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
