/**
 * The view tabs as an ARIA tablist (arrow keys move between tabs), the page-wide `[` / `]` keys that step to
 * the previous / next layer, and the skip link to the tabs.
 */
import { useEffect, useRef, type KeyboardEvent } from 'react';
import { useLens } from '../../state/store';
import type { LensState } from '../../state/types';
import { VIEW_TABS, type ViewTab } from '../../state/urlState';

const TAB_LABELS: Record<ViewTab, string> = {
  features: 'Feature maps',
  occlusion: 'Occlusion',
  filters: 'Layer-1 filters',
  top9: 'Top 9',
  invariance: 'Invariance',
  correspond: 'Correspondence',
  explain: 'How it works',
  evolution: 'Evolution',
  compare: 'Compare',
};

/** The layer `step` places from the current one, or null at either end (or with no model). */
export function steppedLayer(s: Pick<LensState, 'model' | 'layer'>, step: number): string | null {
  const layers = s.model?.mapLayers ?? [];
  const at = layers.findIndex((l) => l.name === s.layer);
  return layers[Math.max(0, Math.min(layers.length - 1, at + step))]?.name ?? null;
}

function typing(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLInputElement ||
    target instanceof HTMLTextAreaElement ||
    (target instanceof HTMLElement && target.isContentEditable)
  );
}

export function ViewTabs() {
  const tab = useLens((s) => s.tab);
  const setTab = useLens((s) => s.setTab);
  const setLayer = useLens((s) => s.setLayer);
  const model = useLens((s) => s.model);
  const layer = useLens((s) => s.layer);
  const listRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      if ((e.key !== '[' && e.key !== ']') || e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
      const next = steppedLayer({ model, layer }, e.key === ']' ? 1 : -1);
      if (next && next !== layer) {
        e.preventDefault();
        setLayer(next);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [model, layer, setLayer]);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const at = VIEW_TABS.indexOf(tab);
    const moves: Record<string, number> = {
      ArrowRight: at + 1,
      ArrowLeft: at - 1,
      Home: 0,
      End: VIEW_TABS.length - 1,
    };
    const to = moves[e.key];
    if (to === undefined) return;
    e.preventDefault();
    const next = VIEW_TABS[(to + VIEW_TABS.length) % VIEW_TABS.length] ?? 'features';
    setTab(next);
    listRef.current?.querySelector<HTMLButtonElement>(`[data-tab="${next}"]`)?.focus();
  };

  return (
    <div className="view-tabs" id="views">
      <div className="tab-list" role="tablist" aria-label="Views" ref={listRef} onKeyDown={onKeyDown}>
        {VIEW_TABS.map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            id={`tab-${t}`}
            data-tab={t}
            data-testid={`tab-${t}`}
            aria-selected={t === tab}
            aria-controls={`view-${t}`}
            tabIndex={t === tab ? 0 : -1}
            className={t === tab ? 'active' : ''}
            onClick={() => setTab(t)}
          >
            {TAB_LABELS[t]}
          </button>
        ))}
      </div>
      {/* Hidden on touch screens (styles): there is no keyboard to press them on. */}
      <span className="caption keys-hint">
        <kbd>[</kbd> <kbd>]</kbd> previous / next layer
      </span>
    </div>
  );
}

/**
 * The page's first focusable element: jumps past the header and the model menu to the view tabs (the
 * current tab gets the focus, so the next Tab enters its view).
 */
export function SkipLink() {
  const tab = useLens((s) => s.tab);
  return (
    <a
      className="skip-link"
      href="#views"
      data-testid="skip-link"
      onClick={(e) => {
        const target = document.getElementById(`tab-${tab}`);
        if (!target) return;
        e.preventDefault();
        target.focus();
      }}
    >
      Skip to the views
    </a>
  );
}
