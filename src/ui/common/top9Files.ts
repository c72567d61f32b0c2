/**
 * Files for a top-9 image set from a file input (several files, or a folder with `webkitdirectory`) or a
 * drop (files and whole folders, read through DataTransferItem.webkitGetAsEntry).
 */

/** A file and the name it is known by in the set: its path inside the picked or dropped folder. */
export interface NamedFile {
  file: File;
  name: string;
}

export function fromInput(list: FileList | null): NamedFile[] {
  return Array.from(list ?? [], (file) => ({ file, name: file.webkitRelativePath || file.name }));
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

/** Every entry of a folder: readEntries returns them in chunks until an empty one. */
async function readAll(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const all: FileSystemEntry[] = [];
  for (;;) {
    const chunk = await new Promise<FileSystemEntry[]>((resolve, reject) =>
      reader.readEntries(resolve, reject),
    );
    if (chunk.length === 0) return all;
    all.push(...chunk);
  }
}

async function walk(entry: FileSystemEntry, out: NamedFile[]): Promise<void> {
  if (entry.isFile) {
    const file = await fileOf(entry as FileSystemFileEntry);
    out.push({ file, name: entry.fullPath.replace(/^\//, '') || file.name });
  } else if (entry.isDirectory) {
    for (const child of await readAll(entry as FileSystemDirectoryEntry)) await walk(child, out);
  }
}

/**
 * The files of a drop, folders included (recursively). Must be called during the drop event: the entries
 * are taken synchronously, their contents read afterwards.
 */
export function fromDrop(transfer: DataTransfer): Promise<NamedFile[]> {
  const entries: FileSystemEntry[] = [];
  const loose: File[] = [];
  for (const item of Array.from(transfer.items)) {
    if (item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry?.();
    if (entry) entries.push(entry);
    else {
      const file = item.getAsFile();
      if (file) loose.push(file);
    }
  }
  return (async () => {
    const out: NamedFile[] = loose.map((file) => ({ file, name: file.name }));
    for (const entry of entries) await walk(entry, out);
    return out;
  })();
}
