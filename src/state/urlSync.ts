/**
 * Glue between the store and the page for the views: the view is read from the address once the
 * model is loaded (the address's model, if any, is the one loaded at start: see initialModelSource), so the
 * layer and channel are checked against that model's layers; it is written back (history.replaceState) after
 * every change, in a task of its own: a burst of updates writes the address once, and a model's arrival does
 * not add a same-document navigation to the task that renders it. A new image resets the occlusion view.
 */
import { parseView, serialiseView, urlSelection, type UrlView } from './urlState';
import type { LensState, LensStore } from './types';

/** The loaded model's id, where the model menu records where it came from; read-only here. */
function modelId(s: LensState): string | null {
  const source = (s.model as { source?: { id?: unknown } } | null)?.source;
  return typeof source?.id === 'string' && source.id !== '' ? source.id : null;
}

export function viewOf(s: LensState): UrlView {
  return {
    layer: s.layer,
    channel: s.channel,
    mode: s.mode,
    method: s.method,
    tab: s.tab,
    model: modelId(s),
  };
}

/** Applies the address's view to the store and keeps the address in step. Returns an unsubscribe function. */
export function installUrlSync(store: LensStore, location: Location = window.location): () => void {
  const wanted = parseView(location.search);
  const state = store.getState();
  if (wanted.mode !== state.mode) state.setMode(wanted.mode);
  if (wanted.method !== state.method) state.setMethod(wanted.method);
  if (wanted.tab !== state.tab) store.setState({ tab: wanted.tab });

  let applied = false;
  const applyLayer = (s: LensState) => {
    applied = true;
    const pick = urlSelection(wanted, s.model?.mapLayers ?? [], s.layer);
    if (pick.layer) s.setLayer(pick.layer);
    if (pick.layer && pick.channel !== null) store.getState().selectChannel(pick.channel);
    const now = store.getState();
    // A notice from loading the model (e.g. the address's model could not be loaded) is kept.
    if (pick.problem) now.setNotice(now.notice ? `${now.notice} ${pick.problem}` : pick.problem);
    if (now.tab === 'filters' && !now.filters) void now.loadFilters();
  };

  let writeQueued = false;
  const write = () => {
    writeQueued = false;
    const search = serialiseView(viewOf(store.getState()), location.search);
    if (search !== location.search) {
      window.history.replaceState(window.history.state, '', `${location.pathname}${search}${location.hash}`);
    }
  };
  const queueWrite = () => {
    if (writeQueued) return;
    writeQueued = true;
    setTimeout(write, 0);
  };

  if (state.phase === 'ready') applyLayer(state);
  return store.subscribe((s, prev) => {
    if (!applied && s.phase === 'ready') applyLayer(s);
    if (s.model !== prev.model && prev.model !== null) {
      // Another model: its filters, layers and classes differ.
      store.setState({ filters: null, occLayer: null });
      s.resetOcclusion();
      if (s.tab === 'filters') void store.getState().loadFilters();
    } else if (s.image?.id !== prev.image?.id) s.resetOcclusion();
    if (applied) queueWrite();
  });
}
