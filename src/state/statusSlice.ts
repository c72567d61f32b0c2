import type { SliceCreator, StatusSlice } from './types';

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
