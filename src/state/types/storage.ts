/** The storage slice's state and actions. */
export interface StorageSlice {
  /** Bytes used and available for this origin (null until measured, or where the browser does not say). */
  storageUse: { usage: number; quota: number } | null;
  clearingStorage: boolean;
  refreshStorageUse(): Promise<void>;
  /** Deletes every stored model, top-9 index and remembered choice. */
  clearStoredData(): Promise<void>;
}
