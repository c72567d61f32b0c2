import { useCallback } from 'react';
import { useLens } from '../state/store';
import { ErrorBanner } from './ErrorBanner';
import { FeatureGrid } from './FeatureGrid';
import { Header } from './Header';
import { InputPanel } from './InputPanel';
import { ModelNote } from './ModelNote';
import { Predictions } from './Predictions';
import { ProjectionPanel } from './ProjectionPanel';
import { useFileDrop } from './useFileDrop';

export function App() {
  const openFile = useLens((s) => s.openFile);
  const setError = useLens((s) => s.setError);
  const onDrop = useCallback(
    (file: File | null) => {
      if (file) void openFile(file, file.name);
      else setError('Nothing to open: drop an image file (PNG, JPEG, …).');
    },
    [openFile, setError],
  );
  const dragging = useFileDrop(onDrop);
  return (
    <div className="app">
      <Header />
      <ErrorBanner />
      <ModelNote />
      <main className="layout">
        <div className="left">
          <div className="pair">
            <InputPanel />
            <ProjectionPanel />
          </div>
          <Predictions />
        </div>
        <div className="right">
          <FeatureGrid />
        </div>
      </main>
      {dragging && (
        <div className="drop-overlay" aria-hidden="true">
          <div>Drop the image to analyse it</div>
        </div>
      )}
    </div>
  );
}
