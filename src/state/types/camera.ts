/** The camera slice's state and actions. */
export type CameraStatus = 'off' | 'starting' | 'live' | 'denied' | 'unavailable' | 'error';

export interface CameraSlice {
  cameraStatus: CameraStatus;
  /** Why the camera is not live, for people. */
  cameraMessage: string | null;
  /** Frames analysed since the camera started. */
  cameraFrames: number;
  /** A frame is in the worker now. */
  cameraBusy: boolean;
  setCameraStatus(status: CameraStatus, message?: string | null): void;
  /**
   * Whether a new frame should be grabbed now (camera live, model ready, worker idle). A camera started
   * while the model loads shows its picture and waits: its frames are analysed once the model is ready.
   */
  cameraReady(): boolean;
  /** Analyses one frame (transferred to the worker) and makes it the current image. */
  analyseFrame(frame: ImageBitmap): Promise<void>;
}
