/** A button that saves a canvas as a PNG: canvas.toBlob, then a temporary download link. */
import { useState } from 'react';

interface Props {
  /** Used in the data-testid (`export-<panel>`) and the file name. */
  panel: string;
  /** The canvas to save (called on click); null when there is nothing to save. */
  getCanvas: () => HTMLCanvasElement | null;
  /** Small canvases (heat maps) are enlarged with crisp pixels to at least this width. */
  minWidth?: number;
  disabled?: boolean;
}

/** The canvas itself, or an enlarged nearest-neighbour copy when it is narrower than minWidth. */
export function enlarged(canvas: HTMLCanvasElement, minWidth: number): HTMLCanvasElement {
  const scale = Math.max(1, Math.ceil(minWidth / Math.max(1, canvas.width)));
  if (scale === 1) return canvas;
  const out = document.createElement('canvas');
  out.width = canvas.width * scale;
  out.height = canvas.height * scale;
  const ctx = out.getContext('2d');
  if (!ctx) return canvas;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(canvas, 0, 0, out.width, out.height);
  return out;
}

export function ExportButton({ panel, getCanvas, minWidth = 224, disabled = false }: Props) {
  const [busy, setBusy] = useState(false);
  const save = () => {
    const canvas = getCanvas();
    if (!canvas) return;
    setBusy(true);
    enlarged(canvas, minWidth).toBlob((blob) => {
      setBusy(false);
      if (!blob) return;
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = `zf-lens-${panel}.png`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    }, 'image/png');
  };
  return (
    <button
      type="button"
      className="export-button"
      data-testid={`export-${panel}`}
      onClick={save}
      disabled={disabled || busy}
      title={`Save this panel as a PNG`}
      aria-label={`Save ${panel.replace(/-/g, ' ')} as PNG`}
    >
      PNG
    </button>
  );
}

/** A getCanvas for the canvas with this data-testid. */
export function canvasByTestId(testId: string): () => HTMLCanvasElement | null {
  return () => {
    const el = document.querySelector(`[data-testid="${testId}"]`);
    return el instanceof HTMLCanvasElement ? el : null;
  };
}

/** Equally sized RGBA tiles (tile-major in `data`) laid out `perRow` across with a 1-pixel white gap. */
export function mosaicCanvas(
  data: Uint8ClampedArray,
  count: number,
  width: number,
  height: number,
  perRow: number,
): HTMLCanvasElement | null {
  if (count === 0) return null;
  const cols = Math.min(perRow, count);
  const rows = Math.ceil(count / cols);
  const canvas = document.createElement('canvas');
  canvas.width = cols * (width + 1) + 1;
  canvas.height = rows * (height + 1) + 1;
  const ctx = canvas.getContext('2d');
  if (!ctx) return null;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const bytes = width * height * 4;
  for (let i = 0; i < count; i++) {
    const tile = new Uint8ClampedArray(data.subarray(i * bytes, (i + 1) * bytes));
    ctx.putImageData(
      new ImageData(tile, width, height),
      1 + (i % cols) * (width + 1),
      1 + Math.floor(i / cols) * (height + 1),
    );
  }
  return canvas;
}
