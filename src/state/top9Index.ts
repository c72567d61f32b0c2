/** Reading a top-9 scan state (TopKState) on the main thread, without the engine. Pure, unit-tested. */
import type { TopEntry, TopKState } from '../worker/protocol/top9Api';

/** The entries of one channel, best first ([] when the channel was not scanned). */
export function entriesOf(state: TopKState, channel: number): TopEntry[] {
  const j = state.channels.indexOf(channel);
  return j < 0 ? [] : (state.top[j] ?? []);
}

/** The channel whose best entry is the strongest (the lowest such channel on ties), or null if none has one. */
export function strongestChannel(state: TopKState): number | null {
  let best: number | null = null;
  let value = -Infinity;
  state.channels.forEach((c, j) => {
    const v = state.top[j]?.[0]?.value;
    if (v !== undefined && v > value) {
      value = v;
      best = c;
    }
  });
  return best;
}

/** Whether a scan of `total` images is finished. */
export function isComplete(state: TopKState, total: number): boolean {
  return state.imagesDone >= total;
}

/**
 * Up to `count` of a channel's entries, best first, leaving out the images `exclude` names (the image shown
 * beside them): the other images of the occlusion view's panel (c).
 */
export function otherEntries(
  state: TopKState,
  channel: number,
  exclude: (image: number) => boolean,
  count: number,
): TopEntry[] {
  return entriesOf(state, channel)
    .filter((e) => !exclude(e.image))
    .slice(0, Math.max(0, count));
}
