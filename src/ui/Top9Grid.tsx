/** The 3x3 grid of a channel's top 9: each tile the image patch beside its deconvnet projection. */
import { memo, useCallback } from 'react';
import { useLens } from '../state/store';
import { probeName } from '../state/top9Sets';
import type { Top9ProjectResult, Top9Tile } from '../worker/top9Api';
import { RgbaCanvas } from './RgbaCanvas';

function formatValue(v: number): string {
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? String(Number(v.toPrecision(3))) : v.toExponential(2);
}

interface TileProps {
  tile: Top9Tile;
  name: string;
  onOpen: (rank: number) => void;
}

const Tile = memo(function Tile({ tile, name, onOpen }: TileProps) {
  const { rank, entry, box } = tile;
  const label = `#${rank + 1}: ${name}, activation ${formatValue(entry.value)} at (${entry.y}, ${entry.x}), patch ${box.width}×${box.height} at (${box.x}, ${box.y})`;
  return (
    <button
      type="button"
      className="top9-tile"
      data-testid={`top9-tile-${rank}`}
      data-image={entry.image}
      data-value={entry.value}
      title={`${label}. Click to open this image.`}
      aria-label={`${label}. Open this image.`}
      onClick={() => onOpen(rank)}
    >
      <span className="top9-pair">
        <RgbaCanvas
          source={tile.patch}
          data-testid={`top9-patch-${rank}`}
          className="pixelated"
          role="img"
          aria-label={`image patch of ${name}`}
        />
        <RgbaCanvas
          source={tile.projection}
          data-testid={`top9-projection-${rank}`}
          className="pixelated"
          role="img"
          aria-label={`projection of the activation in ${name}`}
        />
      </span>
      <span className="top9-tile-caption">
        <span className="tile-rank">{rank + 1}</span> {name} · {formatValue(entry.value)}
      </span>
    </button>
  );
});

export function Top9Grid({ result, computing }: { result: Top9ProjectResult; computing: boolean }) {
  const kind = useLens((s) => s.top9Kind);
  const names = useLens((s) => s.top9FileSet?.names ?? s.top9Record?.names ?? null);
  const open = useLens((s) => s.openTop9Tile);
  const done = useLens((s) => s.top9TilesDone);
  const setTab = useLens((s) => s.setTab);
  const onOpen = useCallback(
    (rank: number) => {
      void open(rank);
      setTab('features');
    },
    [open, setTab],
  );
  const nameOf = (image: number) =>
    kind === 'probe' ? probeName(image) : (names?.[image] ?? `image ${image}`);
  return (
    <div
      className={`top9-grid ${computing ? 'computing' : ''}`}
      data-testid="top9-grid"
      data-layer={result.layer}
      data-channel={result.channel}
      data-done={done ?? undefined}
      aria-busy={computing}
      role="group"
      aria-label={`Top ${result.tiles.length} of ${result.layer} channel ${result.channel}`}
    >
      {result.tiles.map((tile) => (
        <Tile key={tile.rank} tile={tile} name={nameOf(tile.entry.image)} onOpen={onOpen} />
      ))}
    </div>
  );
}
