/** What the app says, and which model it loads again, when its backend stops working (a lost GPU). Pure. */
import type { BackendName } from '../worker/protocol/api';
import type { ModelSource } from '../worker/protocol/modelApi';

/** Backends in words, for people. */
export const BACKEND_LABELS: Record<BackendName, string> = {
  webgpu: 'WebGPU',
  webgl: 'WebGL',
  wasm: 'WebAssembly (CPU)',
  cpu: 'plain JavaScript (CPU)',
};

/**
 * The model a restarted worker loads: the current one (served or stored), or undefined for the default when
 * it was only kept in the lost worker's memory (an import that could not be stored).
 */
export function reloadableSource(source: ModelSource | undefined): ModelSource | undefined {
  return source?.kind === 'session' ? undefined : source;
}

/** Why the model shown after the restart is not the one before, or null when it is the same. */
export function modelAfterRestartNote(
  before: { name: string; source?: ModelSource } | null,
  loaded: string,
  fallback: string | undefined,
): string | null {
  if (before?.source?.kind === 'session') {
    return `The imported model "${before.name}" was not stored, so it cannot be loaded again; showing ${loaded} instead.`;
  }
  if (fallback !== undefined) {
    return `${before ? `"${before.name}"` : 'The model'} could not be loaded again (${fallback}); showing ${loaded} instead.`;
  }
  return null;
}

/**
 * The notice after the backend stopped working: while the worker restarts (`now` null), then on the backend
 * it runs on now, with the model note (modelAfterRestartNote) if there is one.
 */
export function backendLostNotice(
  reason: string,
  now: BackendName | null,
  modelNote: string | null = null,
): string {
  const lost = `The GPU stopped working (${reason})`;
  if (now === null) return `${lost}; restarting on the CPU…`;
  const kept = `${lost}; continuing on ${BACKEND_LABELS[now]}. Your image, selection and stored data are kept.`;
  return modelNote ? `${kept} ${modelNote}` : kept;
}
