import { describe, expect, it } from 'vitest';
import { DEFAULT_VIEW, parseView, serialiseView, urlSelection, type UrlView } from '../src/state/urlState';
import { fallbackNotice, initialModelChoice, initialModelSource } from '../src/state/modelLibrarySlice';

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

describe('the model named in the address', () => {
  it('wins over the remembered choice', () => {
    expect(initialModelChoice('m-abc', 'zfnet512')).toEqual({ id: 'm-abc', from: 'address' });
    expect(initialModelChoice('zfnet512', null)).toEqual({ id: 'zfnet512', from: 'address' });
  });

  it('model=default gives the default model even when another one is remembered', () => {
    expect(initialModelChoice('default', 'm-abc')).toBeNull();
  });

  it('without one, the remembered choice (never the default) is loaded', () => {
    expect(initialModelChoice(null, 'm-abc')).toEqual({ id: 'm-abc', from: 'last-used' });
    expect(initialModelChoice(null, 'default')).toBeNull();
    expect(initialModelChoice(null, null)).toBeNull();
    expect(initialModelChoice(null, '')).toBeNull();
  });

  it('reads ?model= from the query string (no localStorage in Node: nothing is remembered)', () => {
    const base = 'http://localhost/models/default/';
    expect(initialModelSource(base, '?backend=wasm&model=zfnet512&layer=conv2')).toEqual({
      source: { kind: 'url', id: 'zfnet512', url: 'http://localhost/models/zfnet512/' },
      from: 'address',
    });
    expect(initialModelSource(base, '?model=m-1')).toEqual({
      source: { kind: 'stored', id: 'm-1' },
      from: 'address',
    });
    expect(initialModelSource(base, '?model=default')).toBeUndefined();
    expect(initialModelSource(base, '?model=')).toBeUndefined();
    expect(initialModelSource(base, '')).toBeUndefined();
  });

  it('a model that cannot be loaded is named in the notice', () => {
    const fromAddress = { source: { kind: 'stored' as const, id: 'm-gone' }, from: 'address' as const };
    const text = fallbackNotice(fromAddress, 'no such model is stored in this browser', 'Default');
    expect(text).toContain('"m-gone"');
    expect(text).toContain('address');
    expect(text).toContain('no such model is stored in this browser');
    expect(text).toContain('showing Default instead');
    const remembered = { ...fromAddress, from: 'last-used' as const };
    expect(fallbackNotice(remembered, 'HTTP 404', 'Default')).toBe(
      'The last used model could not be loaded (HTTP 404). Loaded Default instead.',
    );
  });
});

describe("the address's layer and channel, checked against the loaded model", () => {
  const layers = [
    { name: 'conv1', channels: 6 },
    { name: 'conv6', channels: 4 },
  ];

  it('selects a layer and channel the model has', () => {
    expect(urlSelection({ layer: 'conv6', channel: 3 }, layers, 'conv1')).toEqual({
      layer: 'conv6',
      channel: 3,
      problem: null,
    });
    expect(urlSelection({ layer: 'conv6', channel: null }, layers, 'conv1')).toEqual({
      layer: 'conv6',
      channel: null,
      problem: null,
    });
  });

  it('keeps the current layer when the address names none', () => {
    expect(urlSelection({ layer: null, channel: 2 }, layers, 'conv1')).toEqual({
      layer: null,
      channel: null,
      problem: null,
    });
  });

  it('says which layer or channel the model lacks', () => {
    const noLayer = urlSelection({ layer: 'conv9', channel: 1 }, layers, 'conv1');
    expect(noLayer.layer).toBeNull();
    expect(noLayer.channel).toBeNull();
    expect(noLayer.problem).toBe('The model has no layer "conv9" (named in the address); showing conv1.');
    const noChannel = urlSelection({ layer: 'conv6', channel: 4 }, layers, 'conv1');
    expect(noChannel.layer).toBe('conv6');
    expect(noChannel.channel).toBeNull();
    expect(noChannel.problem).toContain('conv6 has 4 channels');
    expect(noChannel.problem).toContain('channel 4');
  });
});
