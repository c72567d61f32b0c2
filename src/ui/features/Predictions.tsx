import { useLens } from '../../state/store';

export function Predictions() {
  const predictions = useLens((s) => s.image?.predictions);
  if (!predictions || predictions.length === 0) return null;
  return (
    <section className="panel predictions" aria-label="Top predictions">
      <h2 className="panel-title">Top {predictions.length} classes</h2>
      <ol data-testid="predictions">
        {predictions.map((p) => (
          <li key={p.index}>
            <span className="pred-label">{p.label}</span>
            <span className="pred-bar" aria-hidden="true">
              <span style={{ width: `${Math.max(0.5, p.prob * 100)}%` }} />
            </span>
            <span className="pred-prob">{(p.prob * 100).toFixed(1)}%</span>
          </li>
        ))}
      </ol>
    </section>
  );
}
