/**
 * Camera mode: frames from getUserMedia are analysed as the current image, so the feature maps, the selected
 * projection and the predictions follow the camera. The stream and the <video> live in the CameraPanel; the
 * store keeps the status and sends frames. A frame is sent only when the worker is idle (latest frame wins:
 * frames that arrive while it is busy are never grabbed).
 */
import { errorMessage, isSuperseded } from '../worker/client/client';
import { modelReady } from './pending';
import type { LensState, SliceCreator } from './types';
import type { CameraStatus, CameraSlice } from './types/camera';

/** Whether the camera runs but its frames wait for the model (loading, or another one switched to). */
export function cameraWaiting(s: LensState): boolean {
  return (
    (s.cameraStatus === 'live' || s.cameraStatus === 'starting') && !modelReady(s) && s.phase !== 'failed'
  );
}

/** Name given to camera frames in the image caption. */
export const CAMERA_IMAGE_NAME = 'camera';

function workerIdle(s: LensState): boolean {
  return s.jobs.image === 0 && s.jobs.maps === 0 && s.jobs.project === 0;
}

/** The message for a getUserMedia failure, and whether it was a refusal. */
export function describeCameraError(error: unknown): { status: CameraStatus; message: string } {
  const name = error instanceof DOMException || error instanceof Error ? error.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError')
    return {
      status: 'denied',
      message:
        'Camera access was denied. Allow the camera for this page in the browser (the icon in the address bar) and try again.',
    };
  if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'DevicesNotFoundError')
    return { status: 'unavailable', message: 'No camera was found on this device.' };
  if (name === 'NotReadableError' || name === 'AbortError')
    return {
      status: 'unavailable',
      message: 'The camera could not be started: another application may be using it.',
    };
  return { status: 'error', message: `The camera could not be started: ${errorMessage(error)}` };
}

export const createCameraSlice: SliceCreator<CameraSlice> = (set, get, deps) => ({
  cameraStatus: 'off',
  cameraMessage: null,
  cameraFrames: 0,
  cameraBusy: false,

  setCameraStatus(status, message = null) {
    set({
      cameraStatus: status,
      cameraMessage: message,
      ...(status === 'starting' ? { cameraFrames: 0 } : {}),
    });
  },

  cameraReady() {
    const s = get();
    return s.cameraStatus === 'live' && !s.cameraBusy && modelReady(s) && workerIdle(s);
  },

  async analyseFrame(frame) {
    if (get().cameraBusy) {
      frame.close();
      return;
    }
    set({ cameraBusy: true });
    get().beginJob('image');
    try {
      const result = await deps.api.setFrame(deps.transfer(frame, [frame]));
      // Adopted even if the camera was just stopped: the worker made it the current image.
      get().adoptImage(result, CAMERA_IMAGE_NAME, { kind: 'frame' });
      set((s) => ({ cameraFrames: s.cameraFrames + 1 }));
    } catch (e) {
      if (!isSuperseded(e))
        set({ cameraMessage: `A camera frame could not be analysed: ${errorMessage(e)}` });
    } finally {
      get().endJob('image');
      set({ cameraBusy: false });
    }
  },
});
