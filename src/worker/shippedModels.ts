/**
 * Whole models shipped beside the default one: each is a model folder public/models/<id>/ (model.json +
 * float16 shards), served next to models/default/, and listed in the model menu after the default.
 * The feature-evolution series (models/evolution/, an index.json and one folder per checkpoint) is not listed
 * here: its checkpoints keep only the conv layers and are opened by the evolution view.
 */
export interface ShippedModel {
  /** The folder name under models/ and the menu entry's id (also accepted as `?model=`). */
  id: string;
  /** The menu's label. */
  name: string;
}

export const SHIPPED_MODELS: readonly ShippedModel[] = [
  // AlexNet's first layers (11x11 stride 4) on the same data and budget as the shipped series' final
  // checkpoint: the comparison of the paper's Fig. 6.
  { id: 'alexnet-geometry', name: 'AlexNet geometry (Fig. 6 comparison)' },
];

export function isShippedModelId(id: string): boolean {
  return SHIPPED_MODELS.some((m) => m.id === id);
}
