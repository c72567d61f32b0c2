/** Spatial crops of feature-map stacks. */
import { tf, type Tensor4D } from '../tf';

/**
 * x[:, top : top + h, left : left + w, :] of maps [N, H, W, C]. Seen as [N, H, W * C], the same window is rows
 * of w * C consecutive floats: tfjs's wasm Slice copies a 4-D window a few floats at a time (cropping a
 * 226x226x3 grid cost more there than the convolution that made it), a 3-D one row by row.
 */
export function cropMaps(x: Tensor4D, top: number, left: number, h: number, w: number): Tensor4D {
  const [n, height, width, c] = x.shape;
  if (top < 0 || left < 0 || h < 0 || w < 0 || top + h > height || left + w > width) {
    throw new Error(`crop [${top}, ${left}] + [${h}, ${w}] outside maps of ${height}x${width}`);
  }
  if (top === 0 && left === 0 && h === height && w === width) return x;
  return tf.tidy(() => {
    const rows = tf.reshape(x, [n, height, width * c]);
    return tf.reshape(tf.slice(rows, [0, top, left * c], [n, h, w * c]), [n, h, w, c]);
  });
}
