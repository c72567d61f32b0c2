/**
 * Section 3: max pooling records a switch (where each window's maximum is); unpooling puts each value back
 * there, zeros elsewhere. First the seed's single 3x3 window (maximum 9 at (0, 1)), then ZFNet's overlapping
 * 3x3 windows with stride 2, where two windows can share a switch and their values add.
 */
import { useMemo, useState } from 'react';
import {
  SEED_UNPOOL_OUTPUT,
  SEED_UNPOOL_POOLED,
  SEED_UNPOOL_SWITCH,
  UNPOOL_SIZE,
  UNPOOL_STRIDE,
  unpoolSteps,
  type Nested,
} from '../../engine/plain';
import { useLens } from '../../state/store';
import { Badge } from './Badge';
import { agreementBadge, formatNumber, seedBadge, type Badge as BadgeInfo } from './format';
import { NumberTable, type Cell } from './NumberTable';
import { useDemo } from './useDemo';

type UnpoolCase = 'unpoolSeed' | 'unpoolOverlap';

const TEXT: Record<UnpoolCase, { title: string; caption: string; id: string }> = {
  unpoolSeed: {
    id: 'seed',
    title: 'One 3×3 window (the seed’s example)',
    caption:
      'The seed’s figure gives the maximum, 9, and its position (0, 1); the other eight numbers are ours. The pool keeps 9 and records the switch (0, 1); unpooling puts 9 back there and zeros everywhere else.',
  },
  unpoolOverlap: {
    id: 'overlap',
    title: 'Overlapping windows: 3×3, stride 2, as in ZFNet',
    caption:
      'Neighbouring windows share a row or column. When both have their maximum in the shared part, both switches point at the same cell and unpooling adds both values there.',
  },
};

function UnpoolCaseView({ demo }: { demo: UnpoolCase }) {
  const { inputs, engine, shown, pending, error } = useDemo(demo);
  const setValue = useLens((s) => s.setExplainValue);
  const reset = useLens((s) => s.resetExplain);
  const [win, setWin] = useState<Cell>([0, 0]);
  const text = TEXT[demo];
  const steps = useMemo(() => {
    try {
      return unpoolSteps(inputs.input, UNPOOL_SIZE, UNPOOL_STRIDE);
    } catch {
      return null;
    }
  }, [inputs]);
  const window = steps?.windows[win[0]]?.[win[1]] ?? null;
  const engineSwitches = engine?.switches ?? shown?.switches ?? null;
  const isSwitch = (r: number, c: number) =>
    engineSwitches?.some((row) => row.some(([y, x]) => y === r && x === c)) ?? false;
  const meetAt = (r: number, c: number) => steps?.meets.find((m) => m.y === r && m.x === c);

  // The engine's pool, switches and unpooling against the loop's; the seed case also against the seed.
  const stepsValues: Nested | null = steps
    ? [steps.pooled, steps.windows.map((row) => row.map((w) => [w.switchY, w.switchX])), steps.output]
    : null;
  const engineValues: Nested | null = engine ? [engine.pooled, engine.switches, engine.output] : null;
  const seed: BadgeInfo | null =
    demo === 'unpoolSeed'
      ? seedBadge(
          engineValues,
          [SEED_UNPOOL_POOLED, [[[...SEED_UNPOOL_SWITCH]]], SEED_UNPOOL_OUTPUT],
          pending,
          error,
        )
      : null;
  const meets = steps?.meets ?? [];
  const pooledShown = shown?.pooled ?? steps?.pooled.map((r) => r.map(() => null)) ?? [[null]];
  const outputShown = shown?.output ?? inputs.input.map((r) => r.map(() => null));

  return (
    <div className="explain-case" data-testid={`explain.unpool.${text.id}`}>
      <h4>{text.title}</h4>
      <p className="caption">{text.caption}</p>
      <div className="explain-badges">
        {seed && <Badge testId={`explain.unpool.${text.id}.badge.seed`} badge={seed} />}
        <Badge
          testId={`explain.unpool.${text.id}.badge.steps`}
          badge={agreementBadge('step by step', stepsValues, engineValues, 0, pending, error)}
        />
        <button
          type="button"
          className="button secondary"
          data-testid={`explain.unpool.${text.id}.reset`}
          onClick={() => reset(demo)}
        >
          {demo === 'unpoolSeed' ? 'Seed’s numbers' : 'Example numbers'}
        </button>
      </div>
      <div className="explain-row">
        <NumberTable
          caption="Input"
          label="pooling input"
          testId={`explain.unpool.${text.id}.input`}
          values={inputs.input}
          onEdit={(r, c, v) => setValue(demo, 'input', [r, c], v)}
          cellClass={(r, c) => {
            const inside =
              window !== null &&
              r >= window.y0 &&
              r < window.y0 + UNPOOL_SIZE &&
              c >= window.x0 &&
              c < window.x0 + UNPOOL_SIZE;
            return [inside ? 'in-window' : '', isSwitch(r, c) ? 'switch' : ''].join(' ').trim() || undefined;
          }}
        />
        <NumberTable
          caption="Max pool (engine)"
          label="pooled"
          testId={`explain.unpool.${text.id}.pooled`}
          values={pooledShown}
          selected={win}
          onSelect={setWin}
          stale={pending}
          className="output"
        />
        <NumberTable
          caption="Unpooled (engine)"
          label="unpooled"
          testId={`explain.unpool.${text.id}.output`}
          values={outputShown}
          stale={pending}
          className="output"
          cellClass={(r, c) => (meetAt(r, c) ? 'meet' : isSwitch(r, c) ? 'switch' : undefined)}
          cellTitle={(r, c) => {
            const m = meetAt(r, c);
            return m
              ? `switch of ${m.windows.length} windows: ${m.windows.map((w) => formatNumber(steps!.pooled[w.i]![w.j]!)).join(' + ')}`
              : undefined;
          }}
        />
      </div>
      {window && (
        <p className="explain-sum" data-testid={`explain.unpool.${text.id}.switch`} aria-live="polite">
          Select a window in the max pool (hover, click or arrow keys). Window ({window.i}, {window.j}) covers
          rows {window.y0}–{window.y0 + UNPOOL_SIZE - 1}, columns {window.x0}–{window.x0 + UNPOOL_SIZE - 1}:
          maximum {formatNumber(window.max)} at ({window.switchY}, {window.switchX})
          {engine ? `; the engine’s switch: (${engine.switches[window.i]?.[window.j]?.join(', ')})` : ''}.
        </p>
      )}
      {meets.length > 0 ? (
        <ul className="explain-meets" data-testid={`explain.unpool.${text.id}.meets`}>
          {meets.map((m) => (
            <li key={`${m.y},${m.x}`}>
              ({m.y}, {m.x}) is the switch of windows {m.windows.map((w) => `(${w.i}, ${w.j})`).join(' and ')}
              : {m.windows.map((w) => formatNumber(steps!.pooled[w.i]![w.j]!)).join(' + ')} ={' '}
              {formatNumber(m.sum)}
            </li>
          ))}
        </ul>
      ) : (
        demo === 'unpoolOverlap' && (
          <p className="caption">No two windows share a switch with these numbers.</p>
        )
      )}
    </div>
  );
}

export function UnpoolDemo() {
  return (
    <section
      className="panel explain-demo"
      aria-labelledby="explain-unpool-title"
      data-testid="explain.unpool"
    >
      <h3 id="explain-unpool-title">3. Unpooling with switches</h3>
      <p className="caption">
        Where several numbers in a window are equal, the loop takes the first in reading order; backends may
        pick another of them (any is a valid switch).
      </p>
      <UnpoolCaseView demo="unpoolSeed" />
      <UnpoolCaseView demo="unpoolOverlap" />
    </section>
  );
}
