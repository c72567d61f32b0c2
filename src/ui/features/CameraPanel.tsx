/**
 * Camera mode: a getUserMedia stream shown in a small preview; a few times a second, when the worker is idle,
 * the current video frame is grabbed (createImageBitmap, resized to the model's input), transferred to the
 * worker and analysed as the current image. Stopping (or leaving the page) stops every track.
 */
import { useCallback, useEffect, useRef } from 'react';
import { cameraWaiting, describeCameraError } from '../../state/cameraSlice';
import type { CameraStatus } from '../../state/types/camera';
import { useLens } from '../../state/store';
import '../top9/top9.css';

/** Frames are considered at most this often; slower when the worker takes longer. */
const FRAME_INTERVAL_MS = 250;

const STATUS_TEXT: Record<CameraStatus, string> = {
  off: 'off',
  starting: 'starting…',
  live: 'live',
  denied: 'denied',
  unavailable: 'unavailable',
  error: 'failed',
};

export function CameraPanel() {
  const status = useLens((s) => s.cameraStatus);
  const message = useLens((s) => s.cameraMessage);
  const frames = useLens((s) => s.cameraFrames);
  const phase = useLens((s) => s.phase);
  // Started while the model loads: the preview runs, frames are analysed once the model is ready.
  const waiting = useLens(cameraWaiting);
  const inputSize = useLens((s) => s.model?.inputSize);
  const setStatus = useLens((s) => s.setCameraStatus);
  const ready = useLens((s) => s.cameraReady);
  const analyseFrame = useLens((s) => s.analyseFrame);
  const videoRef = useRef<HTMLVideoElement>(null);
  const streamRef = useRef<MediaStream | null>(null);
  const on = status === 'starting' || status === 'live';
  const [h, w] = inputSize ?? [224, 224];

  const release = useCallback(() => {
    streamRef.current?.getTracks().forEach((t) => t.stop());
    streamRef.current = null;
    if (videoRef.current) videoRef.current.srcObject = null;
  }, []);

  const start = useCallback(async () => {
    if (!navigator.mediaDevices?.getUserMedia) {
      setStatus(
        'unavailable',
        'This browser offers no camera here (a camera needs a secure page: https or localhost).',
      );
      return;
    }
    setStatus('starting');
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: 640 }, height: { ideal: 480 } },
        audio: false,
      });
      streamRef.current = stream;
      const video = videoRef.current;
      if (!video) {
        release();
        return;
      }
      video.srcObject = stream;
      await video.play();
      stream.getVideoTracks()[0]?.addEventListener('ended', () => {
        release();
        setStatus('unavailable', 'The camera stopped (it was disconnected or taken by another application).');
      });
      setStatus('live');
    } catch (e) {
      release();
      const { status: failed, message: why } = describeCameraError(e);
      setStatus(failed, why);
    }
  }, [release, setStatus]);

  const stop = useCallback(() => {
    release();
    setStatus('off');
  }, [release, setStatus]);

  // Grab frames while live: only when the worker is idle, so the newest frame is always the one analysed.
  useEffect(() => {
    if (status !== 'live') return;
    let grabbing = false;
    const timer = window.setInterval(() => {
      const video = videoRef.current;
      if (grabbing || !video || video.readyState < 2 || video.videoWidth === 0 || !ready()) return;
      grabbing = true;
      createImageBitmap(video, { resizeWidth: w, resizeHeight: h, resizeQuality: 'medium' })
        .then((frame) => analyseFrame(frame))
        .catch(() => undefined)
        .finally(() => {
          grabbing = false;
        });
    }, FRAME_INTERVAL_MS);
    return () => window.clearInterval(timer);
  }, [status, ready, analyseFrame, w, h]);

  // Leaving the page (or this panel) releases the camera.
  useEffect(() => release, [release]);

  return (
    <section className="panel camera-panel" aria-label="Camera">
      <div className="camera-header">
        <h2 className="panel-title">Camera</h2>
        <button
          type="button"
          data-testid="camera-toggle"
          aria-pressed={on}
          disabled={phase === 'failed' && !on}
          onClick={() => (on ? stop() : void start())}
        >
          {on ? 'Stop camera' : 'Start camera'}
        </button>
        <span
          className={`camera-status ${status}`}
          data-testid="camera-status"
          data-frames={frames}
          data-waiting={waiting ? 'true' : undefined}
          role="status"
        >
          {STATUS_TEXT[status]}
          {waiting
            ? ' · waiting for the model'
            : status === 'live'
              ? ` · ${frames} frame${frames === 1 ? '' : 's'} analysed`
              : ''}
        </span>
      </div>
      <video
        ref={videoRef}
        className="camera-video"
        muted
        playsInline
        hidden={!on}
        data-testid="camera-video"
        aria-label="camera preview"
      />
      {message && (
        <p className="camera-message" data-testid="camera-message">
          {message}
        </p>
      )}
      {!on && !message && (
        <p className="caption">
          Analyse the camera live: the maps, projection and classes follow the picture.
        </p>
      )}
    </section>
  );
}
