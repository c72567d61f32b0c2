import type { LensState, SliceCreator, StatusSlice } from './types';

export const createStatusSlice: SliceCreator<StatusSlice> = (set) => ({
  phase: 'loading-model',
  jobs: { image: 0, maps: 0, project: 0 },
  error: null,
  notice: null,
  setError: (error) => set({ error }),
  setNotice: (notice) => set({ notice }),
  beginJob: (kind) => set((s) => ({ jobs: { ...s.jobs, [kind]: s.jobs[kind] + 1 } })),
  endJob: (kind) => set((s) => ({ jobs: { ...s.jobs, [kind]: Math.max(0, s.jobs[kind] - 1) } })),
});

/** What the UI is waiting for, in words, or null when idle. */
export function busyLabel(state: Pick<LensState, 'phase' | 'jobs' | 'loadProgress'>): string | null {
  if (state.phase === 'loading-model') return `Loading model… ${Math.round(state.loadProgress * 100)}%`;
  if (state.jobs.image > 0) return 'Computing… analysing the image';
  if (state.jobs.project > 0) return 'Computing… projecting to pixels';
  if (state.jobs.maps > 0) return 'Computing… feature maps';
  return null;
}
