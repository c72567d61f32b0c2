import { describe, expect, it } from 'vitest';
import { DEFAULT_VIEW, parseView, serialiseView, type UrlView } from '../src/ui/urlState';

describe('URL view state', () => {
  it('parses every field', () => {
    expect(parseView('?layer=conv2&channel=3&mode=all&method=guided&tab=occlusion&model=zfnet512')).toEqual({
      layer: 'conv2',
      channel: 3,
      mode: 'all',
      method: 'guided',
      tab: 'occlusion',
      model: 'zfnet512',
    });
  });

  it('falls back to defaults for missing or invalid values', () => {
    expect(parseView('')).toEqual(DEFAULT_VIEW);
    expect(parseView('?channel=-1&mode=most&method=x&tab=nope&layer=')).toEqual(DEFAULT_VIEW);
    expect(parseView('channel=2.5').channel).toBeNull();
    expect(parseView('channel=0').channel).toBe(0);
  });

  it('leaves defaults out and keeps parameters it does not own', () => {
    expect(serialiseView(DEFAULT_VIEW)).toBe('');
    expect(serialiseView(DEFAULT_VIEW, '?backend=wasm&layer=conv9')).toBe('?backend=wasm');
    const view: UrlView = { ...DEFAULT_VIEW, layer: 'conv2', channel: 3, tab: 'filters' };
    expect(serialiseView(view, '?backend=wasm')).toBe('?backend=wasm&tab=filters&layer=conv2&channel=3');
  });

  it('writes a channel only with its layer', () => {
    expect(serialiseView({ ...DEFAULT_VIEW, channel: 4 })).toBe('');
  });

  it('round-trips', () => {
    const views: UrlView[] = [
      { layer: 'pool5', channel: 0, mode: 'all', method: 'backprop', tab: 'occlusion', model: 'my model' },
      { layer: 'norm1', channel: null, mode: 'max', method: 'deconv', tab: 'features', model: null },
      { ...DEFAULT_VIEW, layer: 'a&b=c', channel: 12 },
    ];
    for (const view of views) expect(parseView(serialiseView(view, '?backend=cpu'))).toEqual(view);
  });
});
