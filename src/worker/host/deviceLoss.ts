/**
 * WebGPU device loss in the worker. A GPU can stop working at any time (driver reset, GPU process crash,
 * the browser reclaiming it); the WebGPU backend's device then resolves its `lost` promise and every later
 * command fails or never finishes. The worker reports the loss once (see worker.ts) and the main thread
 * replaces the worker with one on a CPU backend.
 */
import { tf } from '../../engine';

/**
 * How long a call that failed like a lost device waits for `device.lost` before it fails as it is. On a busy
 * machine (an emulated GPU in the middle of an analysis, the cores shared) the loss was seen to resolve more
 * than 10 s after the aborted read: the image's failure was then shown as an error and not retried.
 */
export const DEVICE_LOSS_GRACE_MS = 30_000;

/** The WebGPU backend's device, or null when another backend is active. */
function webgpuDevice(): GPUDevice | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  return device ?? null;
}

/** Why the device was lost, in words ("the device was destroyed: Device was destroyed"). */
export function describeDeviceLoss(info: Pick<GPUDeviceLostInfo, 'reason' | 'message'>): string {
  const what = info.reason === 'destroyed' ? 'the device was destroyed' : 'the device was lost';
  const detail = info.message.trim().replace(/\.$/, '');
  return detail ? `${what}: ${detail}` : what;
}

/**
 * Calls `onLost` with the reason once the active WebGPU backend's device is lost. Returns a promise of the
 * reason (settled after `onLost` ran), or null (and never calls `onLost`) when the backend is not webgpu.
 */
export function watchDeviceLoss(onLost: (reason: string) => void): Promise<string> | null {
  const device = webgpuDevice();
  if (!device) return null;
  return device.lost.then((info) => {
    const reason = describeDeviceLoss(info);
    onLost(reason);
    return reason;
  });
}

/**
 * Whether an error may come from a lost device: a GPU read aborted ("Buffer was unmapped before mapping was
 * resolved") or an operation that failed. Such an error can arrive seconds before `device.lost` resolves.
 */
export function mayBeDeviceLoss(error: unknown): boolean {
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  return name === 'AbortError' || name === 'OperationError';
}

/** Destroys the active WebGPU backend's device, as a lost GPU would (for tests). False when not webgpu. */
export function loseDevice(): boolean {
  const device = webgpuDevice();
  if (!device) return false;
  device.destroy();
  return true;
}
