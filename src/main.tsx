import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createLensStore, LensStoreContext } from './state/store';
import { initialModelSource, installModelsTestHook } from './state/modelsSlice';
import { installTestHook } from './state/testHook';
import { installVisualizerSync } from './state/visualizerSync';
import { App } from './ui/App';
import { BACKEND_NAMES, parseBackendName } from './worker/api';
import { startWorkerHost, workerCallback } from './worker/client';
import { prefetchModel } from './worker/modelPrefetch';
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
installTestHook(store, worker.api);
installVisualizerSync(store);
installModelsTestHook();
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
