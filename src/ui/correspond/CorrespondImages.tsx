/**
 * The correspondence set: each image at the model's input size with every part's square on it. The active
 * part's square moves by pointer (press anywhere on the image: the square jumps there and follows the drag)
 * or by the arrow keys when focused (Shift: 8 pixels a press).
 */
import { useRef, type KeyboardEvent, type PointerEvent } from 'react';
import type { CorrespondImage, CorrespondPartState } from '../../state/types/correspond';
import { RgbaCanvas } from '../common/RgbaCanvas';
import { partColour } from './colours';

interface Props {
  images: CorrespondImage[];
  parts: CorrespondPartState[];
  activePart: number | null;
  size: number;
  inputSize: [number, number];
  disabled: boolean;
  onMove(partId: number, imageId: number, y: number, x: number): void;
  onActivate(partId: number): void;
  onRemove(imageId: number): void;
}

const KEY_STEPS: Record<string, [number, number]> = {
  ArrowUp: [-1, 0],
  ArrowDown: [1, 0],
  ArrowLeft: [0, -1],
  ArrowRight: [0, 1],
};

function ImageWithSquares({
  image,
  index,
  parts,
  activePart,
  size,
  inputSize,
  disabled,
  onMove,
  onActivate,
  onRemove,
}: Omit<Props, 'images'> & { image: CorrespondImage; index: number }) {
  const [h, w] = inputSize;
  const frame = useRef<HTMLDivElement>(null);
  /** While dragging: the pointer's offset from the square's corner, in input pixels. */
  const drag = useRef<{ pointer: number; dy: number; dx: number } | null>(null);
  const active = parts.find((p) => p.id === activePart) ?? null;
  const corner = active?.corners[image.id] ?? null;

  const at = (e: PointerEvent<HTMLDivElement>): [number, number] => {
    const rect = frame.current?.getBoundingClientRect();
    if (!rect || rect.width === 0 || rect.height === 0) return [0, 0];
    return [((e.clientY - rect.top) / rect.height) * h, ((e.clientX - rect.left) / rect.width) * w];
  };
  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    if (disabled || !active || e.button !== 0) return;
    const [py, px] = at(e);
    const inside =
      corner && py >= corner[0] && py < corner[0] + size && px >= corner[1] && px < corner[1] + size;
    // On the square: keep the grip; elsewhere: the square's centre jumps to the pointer.
    const dy = inside && corner ? py - corner[0] : size / 2;
    const dx = inside && corner ? px - corner[1] : size / 2;
    drag.current = { pointer: e.pointerId, dy, dx };
    e.currentTarget.setPointerCapture(e.pointerId);
    onMove(active.id, image.id, py - dy, px - dx);
    e.preventDefault();
  };
  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    const d = drag.current;
    if (!d || d.pointer !== e.pointerId || !active) return;
    const [py, px] = at(e);
    onMove(active.id, image.id, py - d.dy, px - d.dx);
  };
  const endDrag = (e: PointerEvent<HTMLDivElement>) => {
    if (drag.current?.pointer === e.pointerId) drag.current = null;
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>, part: CorrespondPartState) => {
    const step = KEY_STEPS[e.key];
    const c = part.corners[image.id];
    if (!step || !c || disabled) return;
    e.preventDefault();
    const k = e.shiftKey ? 8 : 1;
    onMove(part.id, image.id, c[0] + step[0] * k, c[1] + step[1] * k);
  };

  return (
    <figure className="panel corr-image" data-testid={`corr-image-${index}`}>
      <figcaption>
        <span className="panel-title corr-image-name" title={image.name}>
          {index + 1}. {image.name}
        </span>
        <button
          type="button"
          className="button secondary"
          onClick={() => onRemove(image.id)}
          disabled={disabled}
          aria-label={`remove ${image.name} from the set`}
        >
          Remove
        </button>
      </figcaption>
      <div
        ref={frame}
        className={`canvas-frame corr-frame${active && !disabled ? ' placing' : ''}`}
        style={{ aspectRatio: `${w} / ${h}` }}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={endDrag}
        onPointerCancel={endDrag}
        data-testid={`corr-frame-${index}`}
      >
        <RgbaCanvas
          source={image.input}
          emptyWidth={w}
          emptyHeight={h}
          role="img"
          aria-label={`${image.name} as the network sees it, ${w}×${h}`}
        />
        {parts.map((part, k) => {
          const c = part.corners[image.id];
          if (!c) return null;
          const isActive = part.id === activePart;
          return (
            <div
              key={part.id}
              className={`corr-square${isActive ? ' active' : ''}`}
              style={{
                top: `${(c[0] / h) * 100}%`,
                left: `${(c[1] / w) * 100}%`,
                width: `${(size / w) * 100}%`,
                height: `${(size / h) * 100}%`,
                borderColor: partColour(k),
              }}
              data-testid={isActive ? `corr-square-${index}` : undefined}
              data-y={c[0]}
              data-x={c[1]}
              tabIndex={isActive ? 0 : -1}
              role="button"
              aria-roledescription="movable square"
              aria-label={`${part.name} in image ${index + 1}: y ${c[0]}, x ${c[1]}${isActive ? '; arrow keys move it, Shift for 8 pixels' : '; click to place this part'}`}
              onKeyDown={(e) => onKeyDown(e, part)}
              onPointerDown={(e) => {
                if (!isActive) {
                  // A click on another part's square makes that part the one being placed.
                  e.stopPropagation();
                  onActivate(part.id);
                }
              }}
            >
              <span className="corr-square-label" style={{ background: partColour(k) }}>
                {part.name}
              </span>
            </div>
          );
        })}
      </div>
      <p className="caption" data-testid={`corr-readout-${index}`}>
        {active && corner
          ? `${active.name}: y ${corner[0]}, x ${corner[1]}`
          : 'Add a part to place its square.'}
      </p>
    </figure>
  );
}

export function CorrespondImages(props: Props) {
  if (props.images.length === 0) {
    return (
      <p className="grid-empty corr-empty">
        Add 2 to 10 images of one kind of object (files, or the current image), then a part for each feature
        to compare (an eye, a nose, a corner) and place its square on every image.
      </p>
    );
  }
  return (
    <div className="corr-images">
      {props.images.map((image, index) => (
        <ImageWithSquares key={image.id} image={image} index={index} {...props} />
      ))}
    </div>
  );
}
