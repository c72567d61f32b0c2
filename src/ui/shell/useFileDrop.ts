import { useEffect, useState } from 'react';

/**
 * Accepts files dropped anywhere on the page. Returns whether something is being dragged over it (for an
 * overlay). `onDrop` gets the first file, or null when the drop held no file, and every dropped file.
 */
export function useFileDrop(onDrop: (file: File | null, count: number, all: File[]) => void): boolean {
  const [dragging, setDragging] = useState(false);
  useEffect(() => {
    let depth = 0;
    const hasFiles = (e: DragEvent) => e.dataTransfer?.types.includes('Files') ?? false;
    const enter = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth += 1;
      setDragging(true);
    };
    const leave = () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const over = (e: DragEvent) => {
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const drop = (e: DragEvent) => {
      // A drop zone on the page (e.g. the top-9 image set) that called preventDefault has taken the drop.
      const taken = e.defaultPrevented;
      e.preventDefault();
      depth = 0;
      setDragging(false);
      if (taken) return;
      const files = e.dataTransfer?.files;
      onDrop(files?.[0] ?? null, files?.length ?? 0, files ? Array.from(files) : []);
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragleave', leave);
    window.addEventListener('dragover', over);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('dragover', over);
      window.removeEventListener('drop', drop);
    };
  }, [onDrop]);
  return dragging;
}
