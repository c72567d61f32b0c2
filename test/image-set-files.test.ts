/**
 * Reading an image set from a file input or a drop (src/ui/common/imageSetFiles.ts). A drop is built from
 * stand-ins for the browser's DataTransfer items and FileSystem entries, in the shapes the File and Directory
 * Entries API gives them (a folder's reader hands out its entries in chunks, then an empty one); real drops
 * in Chromium are covered by e2e/top9.spec.ts.
 */
import { describe, expect, it } from 'vitest';
import { carriesFiles, fromDrop, fromInput } from '../src/ui/common/imageSetFiles';

function file(name: string, text = name, type = 'image/png'): File {
  return new File([text], name, { type });
}

/** A file entry at `fullPath` ("/holiday/a.png"), as webkitGetAsEntry gives for a dropped folder's files. */
function fileEntry(fullPath: string, f: File): FileSystemFileEntry {
  return {
    isFile: true,
    isDirectory: false,
    name: f.name,
    fullPath,
    file: (ok: (f: File) => void) => ok(f),
  } as unknown as FileSystemFileEntry;
}

/** A folder whose reader returns `chunks` one per readEntries call, then empty chunks. */
function dirEntry(fullPath: string, chunks: FileSystemEntry[][], fail?: Error): FileSystemDirectoryEntry {
  return {
    isFile: false,
    isDirectory: true,
    name: fullPath.split('/').pop(),
    fullPath,
    createReader: () => {
      let next = 0;
      return {
        readEntries: (ok: (e: FileSystemEntry[]) => void, err: (e: Error) => void) => {
          if (fail) err(fail);
          else ok(chunks[next++] ?? []);
        },
      };
    },
  } as unknown as FileSystemDirectoryEntry;
}

type Item = { kind: 'file' | 'string'; entry: FileSystemEntry | null; file: File | null };

function transfer(items: Item[]): DataTransfer {
  return {
    items: items.map((it) => ({
      kind: it.kind,
      webkitGetAsEntry: () => it.entry,
      getAsFile: () => it.file,
    })),
  } as unknown as DataTransfer;
}

describe('fromInput', () => {
  it('names files by their path inside a picked folder, else by their own name', () => {
    const inFolder = file('a.png');
    Object.defineProperty(inFolder, 'webkitRelativePath', { value: 'holiday/day1/a.png' });
    const loose = file('b.jpg');
    const out = fromInput([inFolder, loose]);
    expect(out.map((f) => f.name)).toEqual(['holiday/day1/a.png', 'b.jpg']);
    expect(out[0]!.file).toBe(inFolder);
    expect(out[1]!.file).toBe(loose);
  });

  it('gives nothing for no list', () => {
    expect(fromInput(null)).toEqual([]);
  });
});

describe('fromDrop', () => {
  it('walks dropped folders through every chunk of every subfolder, loose files first', async () => {
    const [a, b, c, d, loose] = ['a.png', 'b.jpg', 'c.png', 'notes.txt', 'z.png'].map((n) => file(n));
    const sub = dirEntry('/holiday/sub', [[fileEntry('/holiday/sub/c.png', c!)]]);
    const holiday = dirEntry('/holiday', [
      [fileEntry('/holiday/a.png', a!), sub],
      [fileEntry('/holiday/b.jpg', b!)],
      [fileEntry('/holiday/notes.txt', d!)],
    ]);
    const out = await fromDrop(
      transfer([
        { kind: 'string', entry: null, file: null },
        { kind: 'file', entry: holiday, file: null },
        { kind: 'file', entry: null, file: loose! },
      ]),
    );
    // Every file is handed on (which ones are images is the store's choice), named by its path.
    expect(out.map((f) => f.name)).toEqual([
      'z.png',
      'holiday/a.png',
      'holiday/sub/c.png',
      'holiday/b.jpg',
      'holiday/notes.txt',
    ]);
    expect(out.map((f) => f.file)).toEqual([loose, a, c, b, d]);
  });

  it('names a dropped file entry by its path without the leading slash', async () => {
    const f = file('one.png');
    const out = await fromDrop(transfer([{ kind: 'file', entry: fileEntry('/one.png', f), file: f }]));
    expect(out).toEqual([{ file: f, name: 'one.png' }]);
  });

  it('takes the items at once, so a transfer emptied after the drop event still gives its files', async () => {
    const f = file('late.png');
    const items = [{ kind: 'file', webkitGetAsEntry: () => null, getAsFile: () => f }];
    const pending = fromDrop({ items } as unknown as DataTransfer);
    items.length = 0;
    expect((await pending).map((x) => x.name)).toEqual(['late.png']);
  });

  it('names the folder that could not be read', async () => {
    const broken = dirEntry('/holiday/locked', [], new Error('The folder is not readable.'));
    const holiday = dirEntry('/holiday', [[fileEntry('/holiday/a.png', file('a.png')), broken]]);
    await expect(fromDrop(transfer([{ kind: 'file', entry: holiday, file: null }]))).rejects.toThrow(
      'Could not read the folder "holiday/locked": The folder is not readable.',
    );
  });
});

describe('carriesFiles', () => {
  it('tells a drag of files from one of text or a link', () => {
    expect(carriesFiles({ types: ['Files'] } as unknown as DataTransfer)).toBe(true);
    expect(carriesFiles({ types: ['text/plain', 'text/uri-list'] } as unknown as DataTransfer)).toBe(false);
    expect(carriesFiles(null)).toBe(false);
  });
});
