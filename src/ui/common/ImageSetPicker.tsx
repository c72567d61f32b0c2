/**
 * Choosing a set of images (or folders): "Pick images" and/or "Pick a folder" buttons backed by real file
 * inputs (keyboard users and the e2e specs use those), inside a zone that also takes dropped files and
 * folders. The drop zone is only a shortcut: every pick can be made with the buttons.
 */
import { useState, type DragEvent, type ReactNode } from 'react';
import { carriesFiles, fromDrop, fromInput, type NamedFile } from './imageSetFiles';
import './imageSetPicker.css';

/** A button of the picker: its words and the test id of its file input. */
export interface PickButton {
  testId: string;
  label?: string;
}

export interface ImageSetPickerProps {
  /** Test id of the drop zone. */
  testId: string;
  /** Gets every picked or dropped file (folders walked, names are paths inside them); may be empty. */
  onFiles: (files: NamedFile[]) => void;
  /** Several image files at once (default words "Pick images"). */
  images?: PickButton;
  /** A whole folder, subfolders included (default words "Pick a folder"). */
  folder?: PickButton;
  /** What the zone says beside its buttons: the hint to drop, or what was picked. */
  caption: ReactNode;
  captionTestId?: string;
  /** The view's own class on the zone, next to `image-drop`. */
  className?: string;
  /** Secondary (outlined) buttons, for a picker that adds to a set rather than replacing it. */
  secondary?: boolean;
  /** Marks the zone as holding the set in use. */
  active?: boolean;
  /** Neither picks nor takes drops (a drop then goes to the page, as anywhere else). */
  disabled?: boolean;
}

/** webkitdirectory is not a React prop: set it on the element once mounted. */
function asFolderInput(el: HTMLInputElement | null) {
  if (el) el.webkitdirectory = true;
}

export function ImageSetPicker({
  testId,
  onFiles,
  images,
  folder,
  caption,
  captionTestId,
  className,
  secondary = false,
  active = false,
  disabled = false,
}: ImageSetPickerProps) {
  const [over, setOver] = useState(false);
  // A drop whose folder could not be read: said in the zone, as no view's store hears of it.
  const [problem, setProblem] = useState<string | null>(null);
  const buttonClass = ['button', secondary ? 'secondary' : '', disabled ? 'disabled' : '']
    .filter(Boolean)
    .join(' ');
  const zoneClass = ['image-drop', className, over ? 'over' : '', active ? 'active' : '']
    .filter(Boolean)
    .join(' ');

  const takes = (e: DragEvent<HTMLDivElement>) => !disabled && carriesFiles(e.dataTransfer);
  const onDragOver = (e: DragEvent<HTMLDivElement>) => {
    if (!takes(e)) return;
    e.preventDefault();
    setOver(true);
  };
  const onDragLeave = (e: DragEvent<HTMLDivElement>) => {
    // Moving onto one of the zone's own buttons is no leaving.
    if (!(e.relatedTarget instanceof Node && e.currentTarget.contains(e.relatedTarget))) setOver(false);
  };
  const onDrop = (e: DragEvent<HTMLDivElement>) => {
    setOver(false);
    if (!takes(e)) return;
    // preventDefault marks the drop as taken: the page-wide drop handler (open as the image) leaves it alone.
    e.preventDefault();
    setProblem(null);
    fromDrop(e.dataTransfer).then(onFiles, (err: unknown) =>
      setProblem(err instanceof Error ? err.message : String(err)),
    );
  };
  const onChange = (input: HTMLInputElement) => {
    const files = fromInput(input.files);
    // Reset, so picking the same files again still fires a change.
    input.value = '';
    setProblem(null);
    onFiles(files);
  };

  return (
    <div
      className={zoneClass}
      data-testid={testId}
      onDragOver={onDragOver}
      onDragLeave={onDragLeave}
      onDrop={onDrop}
    >
      {images && (
        <label className={buttonClass}>
          {images.label ?? 'Pick images'}
          <input
            type="file"
            multiple
            accept="image/*"
            data-testid={images.testId}
            className="visually-hidden"
            disabled={disabled}
            onChange={(e) => onChange(e.target)}
          />
        </label>
      )}
      {folder && (
        <label className={buttonClass}>
          {folder.label ?? 'Pick a folder'}
          <input
            ref={asFolderInput}
            type="file"
            data-testid={folder.testId}
            className="visually-hidden"
            disabled={disabled}
            onChange={(e) => onChange(e.target)}
          />
        </label>
      )}
      <span className="caption" data-testid={captionTestId}>
        {caption}
      </span>
      {problem && (
        <span className="image-drop-problem" role="alert">
          {problem}
        </span>
      )}
    </div>
  );
}
