/**
 * Section 2: the seed's conv2d_transpose (3x3x4 input, two output channels of 3x3x4 kernels, stride 2 ->
 * 6x6x2) two ways that end in the same numbers: as the gradient of a convolution (Weight_T x input, then
 * col2im), and as the seed's three steps (insert zeros, convolve with the kernel turned 180°, crop).
 */
import { useMemo, useState } from 'react';
import { SEED_DECONV_OUTPUT, convTransposeSteps, float32Tolerance, maxAbs } from '../../engine/plain';
import { useLens } from '../../state/store';
import { Badge } from './Badge';
import { agreementBadge, formatNumber, seedBadge } from './format';
import { NumberTable, type Cell } from './NumberTable';
import { useDemo } from './useDemo';

function safely<T>(f: () => T): T | null {
  try {
    return f();
  } catch {
    return null;
  }
}

export function TransposeDemo() {
  const { inputs, engine, shown, pending, error } = useDemo('transpose');
  const setValue = useLens((s) => s.setExplainValue);
  const reset = useLens((s) => s.resetExplain);
  /** The selected output cell: channel, row, column. */
  const [sel, setSel] = useState<[number, number, number]>([0, 0, 0]);
  const steps = useMemo(() => safely(() => convTransposeSteps(inputs.input, inputs.weights)), [inputs]);
  const cin = inputs.input.length;
  // Each output is a sum of at most in_c x 9 products (col2im adds in_c-term dot products).
  const terms = cin * 9;
  const tolerance = float32Tolerance(terms, terms * maxAbs(inputs.input) * maxAbs(inputs.weights));
  const [so, sy, sx] = sel;
  const s = steps?.stride ?? 2;
  const empty = SEED_DECONV_OUTPUT.map((m) => m.map((r) => r.map(() => null)));
  const outputs = shown?.output ?? empty;

  // col2im: which GradColumns entries land on the selected output cell.
  const landsOnSelected = (row: number, col: number): boolean => {
    const r = steps?.colRows[row];
    const p = steps?.colPositions[col];
    return !!r && !!p && r.o === so && s * p.i + r.ky === sy && s * p.j + r.kx === sx;
  };
  const dropped = (row: number, col: number): boolean => {
    const r = steps?.colRows[row];
    const p = steps?.colPositions[col];
    const h = 2 * inputs.input[0]!.length;
    return !!r && !!p && (s * p.i + r.ky >= h || s * p.j + r.kx >= h);
  };
  const contributions: number[] = [];
  steps?.colRows.forEach((_r, ri) =>
    steps.colPositions.forEach((_p, q) => {
      if (landsOnSelected(ri, q)) contributions.push(steps.gradColumns[ri]![q]!);
    }),
  );
  const rowLabel = (r: { o: number; ky: number; kx: number }) => `o${r.o} ${r.ky},${r.kx}`;

  return (
    <section
      className="panel explain-demo"
      aria-labelledby="explain-transpose-title"
      data-testid="explain.transpose"
    >
      <h3 id="explain-transpose-title">2. conv2d_transpose: the deconvnet’s filtering step, two ways</h3>
      <p className="caption">
        The seed’s example: a 3×3 input with 4 channels and two output channels of 3×3 kernels (one per input
        channel), stride 2, giving 6×6×2. The kernels are as the seed prints them; the engine holds each
        turned by 180° (the kernel of the forward convolution 6×6×2 → 3×3×4 whose transpose this is). Both
        ways below end in the engine’s numbers
        {engine || shown
          ? ` (the engine’s ${(engine ?? shown)!.impl} transposed convolution, as projections run it on ${(engine ?? shown)!.backend})`
          : ''}
        . Select an output cell (hover, click or arrow keys) to see where it comes from.
      </p>
      <div className="explain-badges">
        <Badge
          testId="explain.transpose.badge.seed"
          badge={seedBadge(engine?.output ?? null, SEED_DECONV_OUTPUT, pending, error)}
        />
        <Badge
          testId="explain.transpose.badge.col2im"
          badge={agreementBadge(
            'col2im',
            steps?.col2im ?? null,
            engine?.output ?? null,
            tolerance,
            pending,
            error,
          )}
        />
        <Badge
          testId="explain.transpose.badge.steps"
          badge={agreementBadge(
            'zeros → convolve → crop',
            steps?.output ?? null,
            engine?.output ?? null,
            tolerance,
            pending,
            error,
          )}
        />
        <button
          type="button"
          className="button secondary"
          data-testid="explain.transpose.reset"
          onClick={() => reset('transpose')}
        >
          Seed’s numbers
        </button>
      </div>

      <div className="explain-row">
        {inputs.input.map((m, c) => (
          <NumberTable
            key={`in${c}`}
            caption={`Input, channel ${c}`}
            label={`input channel ${c}`}
            testId={`explain.transpose.input.${c}`}
            values={m}
            onEdit={(r, col, v) => setValue('transpose', 'input', [c, r, col], v)}
          />
        ))}
      </div>
      {inputs.weights.map((perIn, o) => (
        <div className="explain-row" key={`w${o}`}>
          {perIn.map((m, c) => (
            <NumberTable
              key={c}
              caption={`Kernel out ${o} ← in ${c}`}
              label={`kernel output ${o} input ${c}`}
              testId={`explain.transpose.kernel.${o}.${c}`}
              values={m}
              onEdit={(r, col, v) => setValue('transpose', 'weights', [o, c, r, col], v)}
            />
          ))}
        </div>
      ))}

      <div className="explain-row">
        {outputs.map((m, o) => (
          <NumberTable
            key={o}
            caption={`Output ${o} (engine)`}
            label={`output channel ${o}`}
            testId={`explain.transpose.output.${o}`}
            values={m}
            selected={so === o ? [sy, sx] : null}
            onSelect={([r, c]: Cell) => setSel([o, r, c])}
            stale={pending}
            className="output"
          />
        ))}
      </div>

      {steps && (
        <>
          <h4>As the gradient of a convolution: Weight_T × input, then col2im</h4>
          <p className="caption">
            The forward convolution’s weights as a matrix, transposed (one row per output channel and kernel
            tap), times the input as a matrix (one column per input cell) gives the columns; col2im adds entry
            (o ky,kx; i,j) to output (o, 2i+ky, 2j+kx), dropping what falls past the last row or column.
            Highlighted: the {contributions.length} entries that add up to output ({so}, {sy}, {sx}) ={' '}
            <span data-testid="explain.transpose.col2im.sum">
              {contributions.map(formatNumber).join(' + ') || '0'}
            </span>
            ; struck: dropped.
          </p>
          <div className="explain-row">
            <div className="explain-scroll">
              <NumberTable
                caption="Weight_T"
                label="transposed weight matrix"
                testId="explain.transpose.weightT"
                values={steps.weightT}
                rowLabels={steps.colRows.map(rowLabel)}
                colLabels={steps.weightT[0]!.map((_, c) => `c${c}`)}
                className="compact"
              />
            </div>
            <div className="explain-scroll">
              <NumberTable
                caption="Input as a matrix"
                label="input matrix"
                testId="explain.transpose.gradOutput"
                values={steps.gradOutput}
                rowLabels={steps.gradOutput.map((_, c) => `c${c}`)}
                colLabels={steps.colPositions.map((p) => `${p.i},${p.j}`)}
                className="compact"
              />
            </div>
            <div className="explain-scroll">
              <NumberTable
                caption="Columns = Weight_T × input"
                label="columns"
                testId="explain.transpose.columns"
                values={steps.gradColumns}
                rowLabels={steps.colRows.map(rowLabel)}
                colLabels={steps.colPositions.map((p) => `${p.i},${p.j}`)}
                cellClass={(r, c) =>
                  landsOnSelected(r, c) ? 'in-window' : dropped(r, c) ? 'dropped' : undefined
                }
                className="compact"
              />
            </div>
          </div>
          <div className="explain-row">
            {steps.col2im.map((m, o) => (
              <NumberTable
                key={o}
                caption={`col2im, out ${o}`}
                label={`col2im channel ${o}`}
                testId={`explain.transpose.col2im.${o}`}
                values={m}
                cellClass={(r, c) => (o === so && r === sy && c === sx ? 'in-window' : undefined)}
              />
            ))}
          </div>

          <h4>The seed’s three steps: insert zeros, convolve, crop</h4>
          <p className="caption">
            1: each input value goes to (2i+1, 2j+1) of a 7×7 map of zeros. 2: a SAME 3×3 convolution of it
            with the seed’s kernel (the engine’s turned by 180° back), summed over the input channels. 3: the
            last row and column are cropped. Highlighted: the window that gives output ({so}, {sy}, {sx}).
          </p>
          <div className="explain-row">
            {steps.zeroInserted.map((m, c) => (
              <NumberTable
                key={c}
                caption={`1. Zeros in, channel ${c}`}
                label={`zero-inserted channel ${c}`}
                testId={`explain.transpose.zeros.${c}`}
                values={m}
                cellClass={(r, col) =>
                  Math.abs(r - sy) <= 1 && Math.abs(col - sx) <= 1
                    ? 'in-window'
                    : r % 2 === 1 && col % 2 === 1
                      ? undefined
                      : 'pad'
                }
              />
            ))}
          </div>
          <div className="explain-row">
            {steps.convolved.map((m, o) => (
              <NumberTable
                key={o}
                caption={`2. Convolved, out ${o}`}
                label={`convolved channel ${o}`}
                testId={`explain.transpose.convolved.${o}`}
                values={m}
                cellClass={(r, c) =>
                  r === m.length - 1 || c === m.length - 1
                    ? 'dropped'
                    : o === so && r === sy && c === sx
                      ? 'in-window'
                      : undefined
                }
              />
            ))}
            {steps.output.map((m, o) => (
              <NumberTable
                key={`out${o}`}
                caption={`3. Cropped, out ${o}`}
                label={`cropped channel ${o}`}
                testId={`explain.transpose.cropped.${o}`}
                values={m}
                cellClass={(r, c) => (o === so && r === sy && c === sx ? 'in-window' : undefined)}
              />
            ))}
          </div>
        </>
      )}
    </section>
  );
}
