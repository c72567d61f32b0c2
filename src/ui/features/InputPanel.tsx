import { useLens, type WaitingImage } from '../../state/store';
import { BoxOverlay } from '../common/BoxOverlay';
import { FilePicker } from '../common/FilePicker';
import { canvasByTestId, ExportButton } from '../common/ExportButton';
import { RgbaCanvas } from '../common/RgbaCanvas';
import { formatMs } from '../common/format';

/** The caption of an image waiting for the model (see state/pending.ts). */
function waitingCaption(waiting: WaitingImage, failed: boolean): string {
  const size =
    waiting.sourceWidth !== null && waiting.sourceHeight !== null
      ? ` · ${waiting.sourceWidth}×${waiting.sourceHeight}`
      : '';
  return `${waiting.request.name}${size} · ${failed ? 'not analysed: the model could not be loaded' : 'waiting for the model…'}`;
}

export function InputPanel() {
  const analysed = useLens((s) => s.image);
  // An image opened while the model loads is shown at once, in place of the current one.
  const waiting = useLens((s) => s.waitingImage);
  const failed = useLens((s) => s.phase === 'failed');
  const image = waiting ? null : analysed;
  const projection = useLens((s) => s.projection);
  const inputSize = useLens((s) => s.model?.inputSize);
  const [h, w] = inputSize ?? [224, 224];
  const box = image && projection?.imageId === image.id ? projection.bounds : null;
  // Linked view: the occlusion square selected on the Occlusion tab, drawn on this image too.
  const occ = useLens((s) => s.occResult);
  const occCell = useLens((s) => s.occSelected);
  const square =
    image && occ && occ.imageId === image.id && occCell !== null && occCell < occ.rows * occ.cols
      ? {
          x: (occCell % occ.cols) * occ.request.stride,
          y: Math.floor(occCell / occ.cols) * occ.request.stride,
          width: occ.request.size,
          height: occ.request.size,
        }
      : null;
  const where = projection?.request;
  return (
    <figure className="panel image-panel">
      <figcaption>
        <span className="panel-title">Input</span>
        <FilePicker />
        <ExportButton panel="input" getCanvas={canvasByTestId('input-canvas')} disabled={!image} />
      </figcaption>
      <div
        className="canvas-frame"
        style={{ aspectRatio: `${w} / ${h}` }}
        data-waiting={waiting ? 'true' : undefined}
      >
        <RgbaCanvas
          source={waiting ? waiting.preview : (image?.input ?? null)}
          emptyWidth={w}
          emptyHeight={h}
          data-testid="input-canvas"
          role="img"
          aria-label={
            waiting
              ? `${waiting.request.name}, waiting for the model`
              : image
                ? `${image.name} as the network sees it, ${w}×${h}`
                : 'no image yet'
          }
        />
        {image && (
          <BoxOverlay
            box={box}
            imageWidth={w}
            imageHeight={h}
            label={box && where ? `region projected from ${where.layer} channel ${where.channel}` : ''}
          />
        )}
        {square && (
          <BoxOverlay
            box={square}
            imageWidth={w}
            imageHeight={h}
            color="#7fd4ff"
            dashed
            testId="input-occluder"
            label={`occlusion square selected at x ${square.x}, y ${square.y}`}
          />
        )}
        {!image && !waiting && (
          <div className="empty-hint">
            Drop an image anywhere
            <br />
            or choose one
          </div>
        )}
      </div>
      <p
        className="caption"
        data-testid="image-caption"
        data-waiting={waiting ? 'true' : undefined}
        role={waiting ? 'status' : undefined}
      >
        {waiting
          ? waitingCaption(waiting, failed)
          : image
            ? `${image.name} · ${image.sourceWidth}×${image.sourceHeight} → ${w}×${h} · ${formatMs(image.ms)}`
            : `Images are resized to ${w}×${h} without cropping.`}
      </p>
    </figure>
  );
}
