import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createLensStore, LensStoreContext } from './state/store';
import { initialModelSource } from './state/modelLibrarySlice';
import { installModelsTestHook, installTestHook } from './state/testHook';
import { installUrlSync } from './state/urlSync';
import { App } from './ui/shell/App';
import {
  BACKEND_NAMES,
  parseBackendName,
  type LensWorkerApi,
  type TestWorkerApi,
} from './worker/protocol/api';
import * as Comlink from 'comlink';
import { startWorkerHost, workerCallback } from './worker/client/client';
import { prefetchModel } from './worker/client/modelPrefetch';
import './ui/styles.css';

const params = new URLSearchParams(window.location.search);
const requested = params.get('backend');
const backend = parseBackendName(requested);

const worker = startWorkerHost((message) =>
  store.setState({ phase: 'failed', error: `The compute worker failed: ${message}` }),
);
const modelUrl = new URL(`${import.meta.env.BASE_URL}models/default/`, window.location.href).href;
const initialModel = initialModelSource(modelUrl, window.location.search);
// The model's files download from now on, while the worker's code loads and its backend starts.
const startUrl = initialModel
  ? initialModel.source.kind === 'url'
    ? initialModel.source.url
    : null
  : modelUrl;
const prefetch = startUrl ? prefetchModel(startUrl) : undefined;
const store = createLensStore({
  api: worker.api,
  restartWorker: () => worker.restart(),
  modelUrl,
  backend,
  callback: workerCallback,
  transfer: Comlink.transfer,
  ...(initialModel ? { initialModel } : {}),
  ...(prefetch ? { prefetch } : {}),
});
if (requested && !backend) {
  store
    .getState()
    .setNotice(
      `Unknown backend "${requested}" in the address; choosing automatically (${BACKEND_NAMES.join(' → ')}).`,
    );
}
// Test builds only (`vite build --mode test`, which the e2e suite uses): a production build has
// `__TEST_HOOKS__` false, and the hooks (and the worker's test calls) are left out of its bundles.
if (__TEST_HOOKS__) {
  installTestHook(store, worker.api as Comlink.Remote<LensWorkerApi & TestWorkerApi>);
  installModelsTestHook();
}
installUrlSync(store);
void store.getState().loadModel();
void store.getState().refreshModels();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <LensStoreContext.Provider value={store}>
      <App />
    </LensStoreContext.Provider>
  </StrictMode>,
);
