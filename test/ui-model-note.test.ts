/** The model description's lead (always shown) and the rest (behind a disclosure). */
import { describe, expect, it } from 'vitest';
import { splitDescription } from '../src/ui/shell/modelNoteText';

describe('splitDescription', () => {
  it('keeps a short description whole', () => {
    expect(splitDescription('  A small net.  ')).toEqual({ lead: 'A small net.', rest: '' });
  });

  it('leads with the first sentence, not stopping at "Fig." or "e.g."', () => {
    const text =
      'ZFNet geometry (Zeiler & Fergus, Fig. 3) with every layer of the paper, e.g. LRN and pools. ' +
      'Trained on shapes. '.repeat(12);
    const { lead, rest } = splitDescription(text);
    expect(lead).toBe(
      'ZFNet geometry (Zeiler & Fergus, Fig. 3) with every layer of the paper, e.g. LRN and pools.',
    );
    expect(`${lead} ${rest}`).toBe(text.trim());
  });

  it('cuts a description without an early sentence end at a word and keeps all of it in the rest', () => {
    const text = 'word '.repeat(60).trim();
    const { lead, rest } = splitDescription(text);
    expect(lead.endsWith(' …')).toBe(true);
    expect(lead.length).toBeLessThanOrEqual(152);
    expect(rest).toBe(text);
  });
});
