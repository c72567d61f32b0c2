/** The 3x3 grid of a channel's top 9: each tile the image patch beside its deconvnet projection. */
import { memo, useCallback } from 'react';
import { useLens } from '../../state/store';
import { imageNameIn, top9Names } from '../../state/top9Slice';
import type { Top9ProjectResult, Top9Tile } from '../../worker/protocol/top9Api';
import { RgbaCanvas } from '../common/RgbaCanvas';
import { formatValue } from '../common/format';

interface TileProps {
  tile: Top9Tile;
  name: string;
  /** Test ids: `<prefix>-tile-<rank>`, `<prefix>-patch-<rank>`, `<prefix>-projection-<rank>`. */
  prefix: string;
  onOpen: (rank: number) => void;
}

/**
 * One top-9 entry as a button (focusable; Enter or a click opens its image): the patch under the
 * activation's receptive field beside the activation's projection, with its rank, image and value.
 */
export const Top9TileButton = memo(function Top9TileButton({ tile, name, prefix, onOpen }: TileProps) {
  const { rank, entry, box } = tile;
  const label = `#${rank + 1}: ${name}, activation ${formatValue(entry.value)} at (${entry.y}, ${entry.x}), patch ${box.width}×${box.height} at (${box.x}, ${box.y})`;
  return (
    <button
      type="button"
      className="top9-tile"
      data-testid={`${prefix}-tile-${rank}`}
      data-image={entry.image}
      data-value={entry.value}
      data-y={entry.y}
      data-x={entry.x}
      data-box={`${box.x},${box.y},${box.width},${box.height}`}
      title={`${label}. Click to open this image.`}
      aria-label={`${label}. Open this image.`}
      onClick={() => onOpen(rank)}
    >
      <span className="top9-pair">
        <RgbaCanvas
          source={tile.patch}
          data-testid={`${prefix}-patch-${rank}`}
          className="pixelated"
          role="img"
          aria-label={`image patch of ${name}`}
        />
        <RgbaCanvas
          source={tile.projection}
          data-testid={`${prefix}-projection-${rank}`}
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

/**
 * Opening a tile (linked view): its layer and channel are selected everywhere and its image opens in the
 * feature-map view, projected at the tile's activation.
 */
export function useOpenTop9Tile(result: Top9ProjectResult | null): (rank: number) => void {
  const open = useLens((s) => s.openTop9Tile);
  const setTab = useLens((s) => s.setTab);
  return useCallback(
    (rank: number) => {
      if (!result) return;
      void open(result, rank);
      setTab('features');
    },
    [open, setTab, result],
  );
}

/** Names the current set's images (probe images by number and shape, files by name). */
export function useImageName(): (index: number) => string {
  const kind = useLens((s) => s.top9Kind);
  const names = useLens(top9Names);
  return useCallback((index: number) => imageNameIn(kind, names, index), [kind, names]);
}

export function Top9Grid({ result, computing }: { result: Top9ProjectResult; computing: boolean }) {
  const done = useLens((s) => s.top9TilesDone);
  const onOpen = useOpenTop9Tile(result);
  const nameOf = useImageName();
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
        <Top9TileButton
          key={tile.rank}
          tile={tile}
          name={nameOf(tile.entry.image)}
          prefix="top9"
          onOpen={onOpen}
        />
      ))}
    </div>
  );
}
