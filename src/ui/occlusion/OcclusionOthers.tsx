/**
 * The second half of the occlusion panel (c), as in Zeiler & Fergus's Fig. 7 (c): the mapped feature map's
 * projections in other images (its strongest activations in a stored top-9 scan of the layer), each beside
 * its image patch; a tile opens its image (linked view). Without a stored scan: a one-line hint and a button
 * that scans the layer over the probe set (the top-9 view's scan, whose progress is shown here).
 */
import { useEffect } from 'react';
import { useLens } from '../../state/store';
import { PROBE_SEED, probeSetInfo } from '../../state/top9Sets';
import { top9KeyFor } from '../../state/top9Slice';
import type { LensState } from '../../state/types';
import { Top9Progress } from '../top9/Top9Panel';
import { Top9TileButton, useImageName, useOpenTop9Tile } from '../top9/Top9Grid';
import '../top9/top9.css';

/** The stored scan panel (c) reads: of the occlusion layer over the top-9 view's set. */
function othersKey(s: LensState): string | null {
  return top9KeyFor(s, s.occLayer);
}

export function OcclusionOthers() {
  const others = useLens((s) => s.occOthers);
  const key = useLens(othersKey);
  const channel = useLens((s) => s.occChannel);
  const layer = useLens((s) => s.occLayer);
  const imageId = useLens((s) => s.image?.id ?? null);
  /** Images done by the top-9 view's scan when it is this one (null: it is about another scan). */
  const liveDone = useLens((s) =>
    s.top9Record && s.top9Record.key === othersKey(s) ? s.top9Record.state.imagesDone : null,
  );
  const scanning = useLens(
    (s) => (s.top9Status === 'scanning' || s.top9Status === 'cancelling') && s.top9ViewKey === othersKey(s),
  );
  const busy = useLens((s) => s.top9Status === 'scanning' || s.top9Status === 'cancelling');
  const ready = useLens((s) => s.phase === 'ready');
  const probeLabel = useLens((s) => probeSetInfo(s.top9ProbeCount, PROBE_SEED).label);
  const refresh = useLens((s) => s.refreshOccOthers);
  const scan = useLens((s) => s.scanOccOthers);
  const cancel = useLens((s) => s.cancelTop9);
  const tiles = others?.status === 'ready' ? others.tiles : null;
  const onOpen = useOpenTop9Tile(tiles);
  const nameOf = useImageName();

  // Read (again) when the map, the image or the set changes, and when a scan of this layer stops.
  useEffect(() => {
    if (!scanning) void refresh();
  }, [key, channel, imageId, liveDone, scanning, refresh]);

  if (layer === null || channel === null) return null;

  if (scanning) {
    return (
      <div className="occ-others" data-testid="occ-others" data-status="scanning">
        <p className="caption">Scanning {layer} over the probe set for the same map in other images…</p>
        <div className="occ-others-actions">
          <Top9Progress />
          <button type="button" className="button secondary" onClick={() => cancel()}>
            Stop
          </button>
        </div>
      </div>
    );
  }

  const shown = tiles && tiles.layer === layer && tiles.channel === channel ? tiles : null;
  if (shown && others) {
    return (
      <div
        className="occ-others"
        data-testid="occ-others"
        data-status="ready"
        data-layer={shown.layer}
        data-channel={shown.channel}
      >
        {shown.tiles.length > 0 ? (
          <div className="occ-others-grid" role="group" aria-label={`${layer} #${channel} in other images`}>
            {shown.tiles.map((tile) => (
              <Top9TileButton
                key={tile.rank}
                tile={tile}
                name={nameOf(tile.entry.image)}
                prefix="occ-other"
                onOpen={onOpen}
              />
            ))}
          </div>
        ) : null}
        <p className="caption">
          {shown.tiles.length > 0
            ? `other images: the strongest activations of ${layer} #${channel} in the ${others.setLabel}` +
              (others.scanned < others.total ? ` (${others.scanned} scanned so far)` : '') +
              ' · a tile opens its image'
            : `${layer} #${channel} is zero in every other image of the ${others.setLabel}.`}
        </p>
      </div>
    );
  }

  const loading = !others || others.status === 'loading';
  return (
    <div className="occ-others" data-testid="occ-others" data-status={others?.status ?? 'loading'}>
      <p className="caption occ-others-hint" data-testid="occ-others-hint">
        {loading
          ? `Looking for a top-9 scan of ${layer}…`
          : (others.message ??
            `Other images: no top-9 scan of ${layer} over the ${others.setLabel} yet.`)}{' '}
        {!loading && others.status !== 'error' && (
          <button
            type="button"
            className="button"
            data-testid="occ-others-scan"
            disabled={!ready || busy}
            onClick={() => void scan()}
          >
            Scan {layer} over the {probeLabel}
          </button>
        )}
      </p>
    </div>
  );
}
