import { useLayoutEffect, useRef, type CanvasHTMLAttributes } from 'react';
import type { Box } from '../../worker/protocol/api';

/** RGBA pixels to draw, optionally a window (`offset` bytes in) of a larger channel-major buffer. */
export interface RgbaSource {
  width: number;
  height: number;
  data: Uint8ClampedArray;
  offset?: number;
}

type Props = Omit<CanvasHTMLAttributes<HTMLCanvasElement>, 'width' | 'height'> & {
  source: RgbaSource | null;
  /** Size of the empty canvas before there is anything to draw. */
  emptyWidth?: number;
  emptyHeight?: number;
  /** Show only this part of the image (the canvas takes its size). */
  crop?: Box | null;
  'data-testid'?: string;
};

/**
 * Owns one <canvas> and draws `source` (or its `crop`) into it at its native resolution (one canvas pixel per
 * data pixel, scaled by CSS: the pixels are the data, so devicePixelRatio does not apply), in a layout effect: by the time anything can observe the new props, the pixels are there.
 * Nothing is drawn during render.
 */
export function RgbaCanvas({ source, emptyWidth = 1, emptyHeight = 1, crop = null, ...canvasProps }: Props) {
  const ref = useRef<HTMLCanvasElement>(null);
  useLayoutEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    if (!source) {
      canvas.width = emptyWidth;
      canvas.height = emptyHeight;
      return;
    }
    const { width, height, data, offset = 0 } = source;
    const bytes = width * height * 4;
    const view = crop ?? { x: 0, y: 0, width, height };
    if (canvas.width !== view.width) canvas.width = view.width;
    if (canvas.height !== view.height) canvas.height = view.height;
    const ctx = canvas.getContext('2d');
    if (!ctx || data.length < offset + bytes) return;
    const pixels = new Uint8ClampedArray(bytes);
    pixels.set(data.subarray(offset, offset + bytes));
    ctx.putImageData(new ImageData(pixels, width, height), -view.x, -view.y);
  }, [source, emptyWidth, emptyHeight, crop]);
  return <canvas ref={ref} {...canvasProps} />;
}
