import { useCallback } from 'react';
import { useLens } from '../../state/store';
import { ErrorBanner } from './ErrorBanner';
import { FiltersPanel } from '../filters/FiltersPanel';
import { FeatureGrid } from '../features/FeatureGrid';
import { Header } from './Header';
import { InputPanel } from '../features/InputPanel';
import { ModelNote } from './ModelNote';
import { OcclusionView } from '../occlusion/OcclusionView';
import { Predictions } from '../features/Predictions';
import { ProjectionPanel } from '../features/ProjectionPanel';
import { useFileDrop } from './useFileDrop';
import { ModelMenu } from './ModelMenu';
import { isModelDrop } from './modelFiles';
import { SkipLink, ViewTabs } from './ViewTabs';
import { CameraPanel } from '../features/CameraPanel';
import { Top9Panel } from '../top9/Top9Panel';
import { InvarianceView } from '../invariance/InvarianceView';
import { CorrespondView } from '../correspond/CorrespondView';
import { ExplainView } from '../explain/ExplainView';
import { EvolutionView } from '../evolution/EvolutionView';
import { CompareView } from '../compare/CompareView';

export function App() {
  const openFile = useLens((s) => s.openFile);
  const setError = useLens((s) => s.setError);
  const tab = useLens((s) => s.tab);
  const importModelFiles = useLens((s) => s.importModelFiles);
  const onDrop = useCallback(
    (file: File | null, _count: number, all: File[]) => {
      if (!file) {
        setError('Nothing to open: drop an image file (PNG, JPEG, …).');
        return;
      }
      // Model files (.onnx, .caffemodel + .prototxt, model.json + .bin) are imported; images analysed.
      void isModelDrop(all).then((model) => (model ? importModelFiles(all) : openFile(file, file.name)));
    },
    [openFile, setError, importModelFiles],
  );
  const dragging = useFileDrop(onDrop);
  return (
    <div className="app">
      <SkipLink />
      <Header />
      <ModelMenu />
      <main className="main" id="main">
        <ErrorBanner />
        <ModelNote />
        <ViewTabs />
        <div
          className="layout"
          id="view-features"
          role="tabpanel"
          aria-labelledby="tab-features"
          hidden={tab !== 'features'}
        >
          <div className="left">
            <div className="pair">
              <InputPanel />
              <ProjectionPanel />
            </div>
            <Predictions />
            <CameraPanel />
          </div>
          <div className="right">
            <FeatureGrid />
          </div>
        </div>
        {tab === 'occlusion' && <OcclusionView />}
        {tab === 'filters' && <FiltersPanel />}
        {tab === 'top9' && <Top9Panel />}
        {tab === 'invariance' && <InvarianceView />}
        {tab === 'correspond' && <CorrespondView />}
        {tab === 'explain' && <ExplainView />}
        {tab === 'evolution' && <EvolutionView />}
        {tab === 'compare' && <CompareView />}
      </main>
      {dragging && (
        <div className="drop-overlay" aria-hidden="true">
          <div>Drop an image to analyse it, or model files to import them</div>
        </div>
      )}
    </div>
  );
}
