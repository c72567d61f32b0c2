import { useLens } from '../../state/store';
import { splitDescription } from './modelNoteText';

function formatCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)}k`;
  return String(n);
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
