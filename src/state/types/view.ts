/** The view slice's state and actions. */
import type { FilterBank } from '../../worker/protocol/occlusionApi';
import type { ViewTab } from '../urlState';

export type FmapSort = 'index' | 'max';

export interface ViewSlice {
  tab: ViewTab;
  fmapSort: FmapSort;
  filters: FilterBank | null;
  /** Shows a tab; the occlusion and filters tabs fetch what they show the first time. */
  setTab(tab: ViewTab): void;
  setFmapSort(sort: FmapSort): void;
  loadFilters(): Promise<void>;
}
