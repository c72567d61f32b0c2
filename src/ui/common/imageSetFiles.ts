/**
 * The files of an image set from a file input (several files, or a folder with `webkitdirectory`) or a drop
 * (files and whole folders, read through DataTransferItem.webkitGetAsEntry). Which of them count as images,
 * and their order, is the store's business: each view's slice decides what it takes.
 */

/** A file and the name it is known by in the set: its path inside the picked or dropped folder. */
export interface NamedFile {
  file: File;
  name: string;
}

export function fromInput(list: FileList | readonly File[] | null): NamedFile[] {
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

/** An entry's path in the drop ("holiday/a.png"). */
function pathOf(entry: FileSystemEntry): string {
  return entry.fullPath.replace(/^\//, '') || entry.name;
}

/** What the browser rejected with (a DOMException, usually), in words. */
function reason(e: unknown): string {
  return e instanceof Error ? e.message || e.name : String(e);
}

async function walk(entry: FileSystemEntry, out: NamedFile[]): Promise<void> {
  if (entry.isFile) {
    let file: File;
    try {
      file = await fileOf(entry as FileSystemFileEntry);
    } catch (e) {
      throw new Error(`Could not read "${pathOf(entry)}": ${reason(e)}`, { cause: e });
    }
    out.push({ file, name: pathOf(entry) || file.name });
  } else if (entry.isDirectory) {
    let children: FileSystemEntry[];
    try {
      children = await readAll(entry as FileSystemDirectoryEntry);
    } catch (e) {
      throw new Error(`Could not read the folder "${pathOf(entry)}": ${reason(e)}`, { cause: e });
    }
    for (const child of children) await walk(child, out);
  }
}

/**
 * The files of a drop, folders included (recursively): loose files first, then each dropped entry in turn.
 * Must be called during the drop event: the entries are taken synchronously, their contents read afterwards.
 * Rejects with a message naming the file or folder that could not be read.
 */
export function fromDrop(transfer: Pick<DataTransfer, 'items'>): Promise<NamedFile[]> {
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

/** Whether a drag carries files (not text or a link), so a drop zone only lights up for what it can take. */
export function carriesFiles(transfer: Pick<DataTransfer, 'types'> | null): boolean {
  return transfer !== null && Array.from(transfer.types).includes('Files');
}
