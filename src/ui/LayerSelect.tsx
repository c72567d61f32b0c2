import type { MapLayerInfo } from '../worker/api';

/** A drop-down of the model's feature-map layers; `describe` words each option (names are the values). */
export function LayerSelect({
  testId,
  layers,
  value,
  onChange,
  describe,
  disabled = false,
}: {
  testId: string;
  layers: readonly MapLayerInfo[];
  value: string | null;
  onChange: (layer: string) => void;
  describe: (layer: MapLayerInfo) => string;
  disabled?: boolean;
}) {
  return (
    <select
      data-testid={testId}
      value={value ?? ''}
      disabled={disabled}
      onChange={(e) => onChange(e.target.value)}
    >
      {layers.map((l) => (
        <option key={l.name} value={l.name}>
          {describe(l)}
        </option>
      ))}
    </select>
  );
}
