import { useLens } from '../state/store';

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
  return (
    <section className="model-note" aria-label="About the model">
      <p data-testid="model-description">{model.description}</p>
      <p className="facts">
        {formatCount(model.parameters)} weights · input {w}×{h} · {model.mapLayers.length} feature-map layers
        {model.classes > 0 ? ` · ${model.classes} classes` : ''}
      </p>
    </section>
  );
}
