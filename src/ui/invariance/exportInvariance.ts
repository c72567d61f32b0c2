/** Saving the invariance curves: the numbers as CSV, a chart (SVG) as PNG. */
import type { InvarianceRunResult } from '../../worker/protocol/invarianceApi';

/** A CSV field: quoted when it holds a comma, quote or line break. */
function field(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * One row per image and value: image, class, class label, value, the distance at each layer, probability.
 * Numbers in full (JavaScript's shortest round-trip form).
 */
export function invarianceCsv(result: InvarianceRunResult, labels: readonly string[]): string {
  const header = [
    'image',
    'class',
    'label',
    result.transform,
    ...result.layers.map((l) => `distance ${l}`),
    'probability',
  ];
  const rows = [header.map(field).join(',')];
  for (const image of result.images) {
    result.values.forEach((value, v) => {
      rows.push(
        [
          field(image.name),
          String(image.classIndex),
          field(labels[image.classIndex] ?? `class ${image.classIndex}`),
          String(value),
          ...image.distance.map((d) => String(d[v])),
          String(image.probability[v]),
        ].join(','),
      );
    });
  }
  return rows.join('\n') + '\n';
}

/** Saves a blob as a download named `name`. */
export function downloadBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * The SVG drawn on a canvas at `scale` times its viewBox size, over the background it has on the page; its
 * `currentColor` is the colour of the text around it.
 */
export async function svgToCanvas(svg: SVGSVGElement, scale = 2): Promise<HTMLCanvasElement> {
  const box = svg.viewBox.baseVal;
  const width = Math.round(box.width * scale);
  const height = Math.round(box.height * scale);
  const clone = svg.cloneNode(true) as SVGSVGElement;
  clone.setAttribute('xmlns', SVG_NS);
  clone.setAttribute('width', String(width));
  clone.setAttribute('height', String(height));
  const style = getComputedStyle(svg);
  clone.setAttribute('color', style.color);
  clone.style.color = style.color;
  let background = 'rgb(255, 255, 255)';
  for (let el: Element | null = svg; el; el = el.parentElement) {
    const bg = getComputedStyle(el).backgroundColor;
    if (bg && bg !== 'transparent' && !/rgba\(.*,\s*0\)$/.test(bg)) {
      background = bg;
      break;
    }
  }
  const rect = document.createElementNS(SVG_NS, 'rect');
  rect.setAttribute('width', '100%');
  rect.setAttribute('height', '100%');
  rect.setAttribute('fill', background);
  clone.insertBefore(rect, clone.firstChild);
  const url = URL.createObjectURL(
    new Blob([new XMLSerializer().serializeToString(clone)], { type: 'image/svg+xml' }),
  );
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas');
    ctx.drawImage(image, 0, 0, width, height);
    return canvas;
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Saves the SVG as `name` (a PNG). */
export async function saveSvgAsPng(svg: SVGSVGElement, name: string): Promise<void> {
  const canvas = await svgToCanvas(svg);
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('the browser could not encode the PNG');
  downloadBlob(blob, name);
}
