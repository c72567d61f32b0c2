import { useLens } from '../state/store';

function formatCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)}k`;
  return String(n);
}

/**
 * A description's lead (its first sentence, or its first ~150 characters cut at a word) and the rest.
 * Short descriptions are all lead.
 */
export function splitDescription(description: string): { lead: string; rest: string } {
  const text = description.trim();
  if (text.length <= 180) return { lead: text, rest: '' };
  // A sentence ends at ". " before a capital letter (not "Fig. 3" or "e.g. the").
  const end = /[.!?]\s+(?=[A-Z])/g;
  for (let m = end.exec(text); m; m = end.exec(text)) {
    const before = text.slice(Math.max(0, m.index - 4), m.index);
    if (/\b(Fig|e\.g|i\.e|vs|al)$/.test(before)) continue;
    if (m.index + 1 >= 40 && m.index + 1 <= 220)
      return { lead: text.slice(0, m.index + 1), rest: text.slice(m.index + 1).trim() };
    if (m.index + 1 > 220) break;
  }
  const cut = text.lastIndexOf(' ', 150);
  return { lead: `${text.slice(0, cut > 60 ? cut : 150)} …`, rest: text };
}

/** The model's own description from its spec (the default says plainly whether it is a placeholder). */
export function ModelNote() {
  const model = useLens((s) => s.model);
  if (!model) return null;
  const [h, w] = model.inputSize;
  // The first sentence stays in view; the rest (training recipe, accuracy, caveats) opens on demand.
  const { lead, rest } = splitDescription(model.description);
  return (
    <section className="model-note" aria-label="About the model">
      {rest ? (
        <details data-testid="model-description">
          <summary>{lead}</summary>
          <p>{rest}</p>
        </details>
      ) : (
        <p data-testid="model-description">{lead}</p>
      )}
      <p className="facts">
        {formatCount(model.parameters)} weights · input {w}×{h} · {model.mapLayers.length} feature-map layers
        {model.classes > 0 ? ` · ${model.classes} classes` : ''}
      </p>
    </section>
  );
}
