import { useEffect, useRef } from 'react';
import type { Box } from '../../worker/protocol/api';

interface Props {
  box: Box | null;
  /** Size of the image the box refers to (model-input pixels). */
  imageWidth: number;
  imageHeight: number;
  label: string;
  /** Outline colour (default: the projection's amber). */
  color?: string;
  /** Dashed outline (an occluder square rather than a receptive field). */
  dashed?: boolean;
  testId?: string;
}

/**
 * A crisp rectangle over an image: a transparent canvas that covers its parent, sized to its CSS box times
 * devicePixelRatio (redrawn on resize), so the outline stays one sharp device pixel wide at any zoom.
 */
export function BoxOverlay({
  box,
  imageWidth,
  imageHeight,
  label,
  color = '#ffd27c',
  dashed = false,
  testId = 'input-overlay',
}: Props) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    const draw = () => {
      const dpr = window.devicePixelRatio || 1;
      const w = Math.max(1, Math.round(canvas.clientWidth * dpr));
      const h = Math.max(1, Math.round(canvas.clientHeight * dpr));
      if (canvas.width !== w) canvas.width = w;
      if (canvas.height !== h) canvas.height = h;
      const ctx = canvas.getContext('2d');
      if (!ctx) return;
      ctx.clearRect(0, 0, w, h);
      if (!box) return;
      const sx = w / imageWidth;
      const sy = h / imageHeight;
      const line = Math.max(1, Math.round(2 * dpr));
      ctx.lineWidth = line;
      ctx.setLineDash(dashed ? [4 * dpr, 3 * dpr] : []);
      ctx.strokeStyle = 'rgb(0 0 0 / 60%)';
      ctx.strokeRect(
        box.x * sx - line,
        box.y * sy - line,
        box.width * sx + 2 * line,
        box.height * sy + 2 * line,
      );
      ctx.strokeStyle = color;
      ctx.strokeRect(box.x * sx, box.y * sy, box.width * sx, box.height * sy);
    };
    draw();
    const observer = new ResizeObserver(draw);
    observer.observe(canvas);
    return () => observer.disconnect();
  }, [box, imageWidth, imageHeight, color, dashed]);
  return (
    <canvas
      ref={ref}
      className="overlay"
      data-testid={testId}
      role="img"
      aria-label={label}
      aria-hidden={box ? undefined : true}
    />
  );
}
