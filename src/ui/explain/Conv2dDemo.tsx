/**
 * Section 1: the seed's conv2d (5x5x2 input, one 3x3 kernel over both channels, SAME padding, stride 1).
 * Selecting an output cell shows its input window (zeros where it hangs over the edge), the kernel, the
 * products and their sum; beside it the same computation as im2col + one matrix product.
 */
import { useMemo, useState } from 'react';
import { SEED_CONV_OUTPUT, conv2dSteps, float32Tolerance, im2col, maxAbs } from '../../engine/plain';
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

export function Conv2dDemo() {
  const { inputs, engine, shown, pending, error } = useDemo('conv2d');
  const setValue = useLens((s) => s.setExplainValue);
  const reset = useLens((s) => s.resetExplain);
  const [cell, setCell] = useState<Cell>([0, 0]);
  const steps = useMemo(() => safely(() => conv2dSteps(inputs.input, inputs.kernel)), [inputs]);
  const cols = useMemo(() => safely(() => im2col(inputs.input, inputs.kernel)), [inputs]);
  const k = inputs.kernel[0]?.length ?? 3;
  const terms = inputs.input.length * k * k;
  const tolerance = float32Tolerance(terms, terms * maxAbs(inputs.input) * maxAbs(inputs.kernel));
  const [y, x] = cell;
  const detail = steps?.cells[y]?.[x] ?? null;
  const pad = steps?.pad ?? 1;
  const inWindow = (r: number, c: number) =>
    Math.abs(r - y) <= pad && Math.abs(c - x) <= pad ? 'in-window' : undefined;
  const position = cols?.positions.findIndex((p) => p.y === y && p.x === x) ?? -1;
  const products = detail ? detail.products.flatMap((m) => m.flat()) : [];

  return (
    <section
      className="panel explain-demo"
      aria-labelledby="explain-conv2d-title"
      data-testid="explain.conv2d"
    >
      <h3 id="explain-conv2d-title">
        1. conv2d: each output cell is a window of the input times the kernel, summed
      </h3>
      <p className="caption">
        The seed’s example: a 5×5 input with 2 channels, one 3×3 kernel per input channel, SAME padding (a
        border of zeros) and stride 1, giving a 5×5 output. Edit any number; the engine (the convolution every
        conv layer of the network runs) recomputes it.
      </p>
      <div className="explain-badges">
        <Badge
          testId="explain.conv2d.badge.seed"
          badge={seedBadge(engine?.output ?? null, SEED_CONV_OUTPUT, pending, error)}
        />
        <Badge
          testId="explain.conv2d.badge.steps"
          badge={agreementBadge(
            'step by step',
            steps?.output ?? null,
            engine?.output ?? null,
            tolerance,
            pending,
            error,
          )}
        />
        <Badge
          testId="explain.conv2d.badge.im2col"
          badge={agreementBadge(
            'im2col',
            cols?.output ?? null,
            engine?.output ?? null,
            tolerance,
            pending,
            error,
          )}
        />
        <button
          type="button"
          className="button secondary"
          data-testid="explain.conv2d.reset"
          onClick={() => reset('conv2d')}
        >
          Seed’s numbers
        </button>
      </div>

      <div className="explain-row">
        {inputs.input.map((m, ch) => (
          <NumberTable
            key={`in${ch}`}
            caption={`Input, channel ${ch}`}
            label={`input channel ${ch}`}
            testId={`explain.conv2d.input.${ch}`}
            values={m}
            onEdit={(r, c, v) => setValue('conv2d', 'input', [ch, r, c], v)}
            cellClass={inWindow}
          />
        ))}
        {inputs.kernel.map((m, ch) => (
          <NumberTable
            key={`k${ch}`}
            caption={`Kernel, channel ${ch}`}
            label={`kernel for input channel ${ch}`}
            testId={`explain.conv2d.kernel.${ch}`}
            values={m}
            onEdit={(r, c, v) => setValue('conv2d', 'kernel', [ch, r, c], v)}
          />
        ))}
      </div>

      <div className="explain-row">
        <NumberTable
          caption="Output (engine)"
          label="output"
          testId="explain.conv2d.output"
          values={shown?.output ?? SEED_CONV_OUTPUT.map((r) => r.map(() => null))}
          selected={cell}
          onSelect={setCell}
          stale={pending}
          className="output"
        />
        {detail && (
          <div className="explain-detail" data-testid="explain.conv2d.detail" aria-live="polite">
            <p className="explain-detail-title">
              Output ({y}, {x}): the 3×3 window centred on input ({y}, {x}) (greyed: zero padding), times the
              kernel, tap by tap. Hover or click an output cell, or step with the arrow keys.
            </p>
            {detail.window.map((w, ch) => (
              <div className="explain-row explain-equation" key={ch}>
                <NumberTable
                  caption={`Window, channel ${ch}`}
                  label={`window channel ${ch}`}
                  testId={`explain.conv2d.window.${ch}`}
                  values={w}
                  rowLabels={w.map((_, r) => String(y + r - pad))}
                  colLabels={w[0]!.map((_, c) => String(x + c - pad))}
                  cellClass={(r, c) => (detail.padding[r]?.[c] ? 'pad' : undefined)}
                />
                <span className="explain-op" aria-hidden="true">
                  ×
                </span>
                <NumberTable
                  caption={`Kernel, channel ${ch}`}
                  label={`kernel channel ${ch}`}
                  testId={`explain.conv2d.detailKernel.${ch}`}
                  values={inputs.kernel[ch]!}
                />
                <span className="explain-op" aria-hidden="true">
                  =
                </span>
                <NumberTable
                  caption={`Products, channel ${ch}`}
                  label={`products channel ${ch}`}
                  testId={`explain.conv2d.products.${ch}`}
                  values={detail.products[ch]!}
                  cellClass={(r, c) => (detail.padding[r]?.[c] ? 'pad' : undefined)}
                />
              </div>
            ))}
            <p className="explain-sum" data-testid="explain.conv2d.sum" data-value={detail.sum}>
              Sum of the {products.length} products:{' '}
              {products.map((v) => (v < 0 ? `(${formatNumber(v)})` : formatNumber(v))).join(' + ')} ={' '}
              <strong>{formatNumber(detail.sum)}</strong>
              {engine ? ` · engine: ${formatNumber(engine.output[y]?.[x] ?? NaN)}` : ''}
            </p>
          </div>
        )}
      </div>

      {cols && (
        <details className="explain-more" open>
          <summary>im2col: the same convolution as one matrix product</summary>
          <p className="caption">
            Each output cell’s window, flattened, is one column of the matrix (25 columns, one per output
            cell; 18 rows, one per channel and kernel tap). The kernel, flattened the same way, is a row; row
            × matrix gives every output at once. The selected cell’s column is highlighted.
          </p>
          <div className="explain-scroll">
            <NumberTable
              caption="Columns: input windows, one column per output cell"
              label="im2col matrix"
              testId="explain.conv2d.im2col.columns"
              values={cols.columns}
              rowLabels={cols.rows.map((r) => `c${r.c} ${r.ky},${r.kx}`)}
              colLabels={cols.positions.map((p) => `${p.y},${p.x}`)}
              cellClass={(_r, c) => (c === position ? 'in-window' : undefined)}
              className="compact"
            />
          </div>
          <div className="explain-scroll">
            <NumberTable
              caption="Kernel as a row"
              label="kernel row"
              testId="explain.conv2d.im2col.kernel"
              values={[cols.kernelRow]}
              rowLabels={['k']}
              colLabels={cols.rows.map((r) => `c${r.c} ${r.ky},${r.kx}`)}
              className="compact"
            />
          </div>
          <div className="explain-scroll">
            <NumberTable
              caption="Kernel row × columns: the output, one value per cell"
              label="im2col product"
              testId="explain.conv2d.im2col.product"
              values={[cols.product]}
              rowLabels={['out']}
              colLabels={cols.positions.map((p) => `${p.y},${p.x}`)}
              cellClass={(_r, c) => (c === position ? 'in-window' : undefined)}
              className="compact"
            />
          </div>
        </details>
      )}
    </section>
  );
}
