/** The app store: one zustand store built from the slices whose types are in ./types (see LensState). */
import { createContext, useContext } from 'react';
import { createStore, useStore } from 'zustand';
import { createImageSlice } from './imageSlice';
import { createLoadedModelSlice } from './loadedModelSlice';
import { createModelLibrarySlice } from './modelLibrarySlice';
import { createSelectionSlice } from './selectionSlice';
import { createStatusSlice } from './statusSlice';
import { createOcclusionSlice } from './occlusionSlice';
import { createViewSlice } from './viewSlice';
import { createTop9Slice } from './top9Slice';
import { createCameraSlice } from './cameraSlice';
import { createOccOthersSlice } from './occOthersSlice';
import { createStorageSlice } from './storageSlice';
import { createPendingSlice } from './pending';
import { createCorrespondSlice } from './correspondSlice';
import { createInvarianceSlice } from './invarianceSlice';
import { createEvolutionSlice } from './evolutionSlice';
import { createExplainSlice } from './explainSlice';
import { createCompareSlice } from './compareSlice';
import type { LensDeps, LensState, LensStore } from './types';

export type * from './types';

export function createLensStore(deps: LensDeps): LensStore {
  return createStore<LensState>()((set, get) => ({
    ...createStatusSlice(set, get, deps),
    ...createLoadedModelSlice(set, get, deps),
    ...createModelLibrarySlice(set, get, deps),
    ...createImageSlice(set, get, deps),
    ...createSelectionSlice(set, get, deps),
    ...createViewSlice(set, get, deps),
    ...createOcclusionSlice(set, get, deps),
    ...createTop9Slice(set, get, deps),
    ...createCameraSlice(set, get, deps),
    ...createOccOthersSlice(set, get, deps),
    ...createStorageSlice(set, get, deps),
    ...createPendingSlice(set, get, deps),
    ...createCorrespondSlice(set, get, deps),
    ...createInvarianceSlice(set, get, deps),
    ...createEvolutionSlice(set, get, deps),
    ...createExplainSlice(set, get, deps),
    ...createCompareSlice(set, get, deps),
  }));
}

export const LensStoreContext = createContext<LensStore | null>(null);

/** Reads one value from the app store; re-renders only when it changes. */
export function useLens<T>(selector: (state: LensState) => T): T {
  const store = useContext(LensStoreContext);
  if (!store) throw new Error('useLens needs a <LensStoreContext.Provider>');
  return useStore(store, selector);
}
