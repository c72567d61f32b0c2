/**
 * The shareable part of the view, kept in the page address: `?layer=conv2&channel=3&mode=all&method=guided&
 * tab=occlusion&model=…`. Pure parse and serialise functions; other parameters (e.g. `backend`) are kept.
 */

export const VIEW_TABS = [
  'features',
  'occlusion',
  'filters',
  'top9',
  'invariance',
  'correspond',
  'explain',
  'evolution',
  'compare',
] as const;
export type ViewTab = (typeof VIEW_TABS)[number];

const MODES = ['max', 'all'] as const;
const METHODS = ['deconv', 'backprop', 'guided'] as const;

export interface UrlView {
  layer: string | null;
  channel: number | null;
  mode: (typeof MODES)[number];
  method: (typeof METHODS)[number];
  tab: ViewTab;
  /** The model's id where the app has a model menu; null otherwise. */
  model: string | null;
}

export const DEFAULT_VIEW: UrlView = {
  layer: null,
  channel: null,
  mode: 'max',
  method: 'deconv',
  tab: 'features',
  model: null,
};

/** The parameters this module owns, in the order they are written. */
export const VIEW_PARAMS = ['model', 'tab', 'layer', 'channel', 'mode', 'method'] as const;

function oneOf<T extends string>(list: readonly T[], value: string | null): T | null {
  return value !== null && (list as readonly string[]).includes(value) ? (value as T) : null;
}

/** Reads a view from a query string (with or without '?'); missing or invalid values take the defaults. */
export function parseView(search: string): UrlView {
  const p = new URLSearchParams(search);
  const layer = p.get('layer')?.trim() || null;
  const channelText = p.get('channel');
  const channel = channelText !== null && /^\d{1,6}$/.test(channelText) ? Number(channelText) : null;
  return {
    layer,
    channel,
    mode: oneOf(MODES, p.get('mode')) ?? DEFAULT_VIEW.mode,
    method: oneOf(METHODS, p.get('method')) ?? DEFAULT_VIEW.method,
    tab: oneOf(VIEW_TABS, p.get('tab')) ?? DEFAULT_VIEW.tab,
    model: p.get('model')?.trim() || null,
  };
}

/** A feature-map layer as the address check needs it. */
export interface UrlLayer {
  name: string;
  channels: number;
}

/**
 * What the address's layer and channel select in a model with these layers: the layer (null: keep the
 * current one, `current`), the channel (null: none) and, when the address names something the model lacks,
 * a sentence saying so (for a notice). Applied once the model is loaded: layer names differ between models.
 */
export function urlSelection(
  view: Pick<UrlView, 'layer' | 'channel'>,
  layers: readonly UrlLayer[],
  current: string | null,
): { layer: string | null; channel: number | null; problem: string | null } {
  if (view.layer === null) return { layer: null, channel: null, problem: null };
  const layer = layers.find((l) => l.name === view.layer);
  if (!layer) {
    return {
      layer: null,
      channel: null,
      problem: `The model has no layer "${view.layer}" (named in the address); showing ${current ?? 'none'}.`,
    };
  }
  if (view.channel !== null && view.channel >= layer.channels) {
    return {
      layer: layer.name,
      channel: null,
      problem: `${layer.name} has ${layer.channels} channels: channel ${view.channel} (named in the address) is not selected.`,
    };
  }
  return { layer: layer.name, channel: view.channel, problem: null };
}

/**
 * Writes a view into a query string, keeping parameters this module does not own. Defaults and nulls are left
 * out, so the plain view has a plain address. Returns '' or a string starting with '?'.
 */
export function serialiseView(view: UrlView, currentSearch = ''): string {
  const p = new URLSearchParams(currentSearch);
  for (const key of VIEW_PARAMS) p.delete(key);
  if (view.model !== null) p.set('model', view.model);
  if (view.tab !== DEFAULT_VIEW.tab) p.set('tab', view.tab);
  if (view.layer !== null) p.set('layer', view.layer);
  if (view.layer !== null && view.channel !== null) p.set('channel', String(view.channel));
  if (view.mode !== DEFAULT_VIEW.mode) p.set('mode', view.mode);
  if (view.method !== DEFAULT_VIEW.method) p.set('method', view.method);
  const text = p.toString();
  return text ? `?${text}` : '';
}
