/** Splitting a model's description into what is always shown and what opens on demand. */

/**
 * A description's lead (its first sentence, or its first ~150 characters cut at a word) and the rest.
 * Short descriptions are all lead.
 */
export function splitDescription(description: string): { lead: string; rest: string } {
  const text = description.trim();
  if (text.length <= 180) return { lead: text, rest: '' };
  // A sentence ends at ". " before a capital letter (not "Fig. 3" or "e.g. the").
  const end = /[.!?]\s+(?=[A-Z])/g;
  for (let m = end.exec(text); m; m = end.exec(text)) {
    const before = text.slice(Math.max(0, m.index - 4), m.index);
    if (/\b(Fig|e\.g|i\.e|vs|al)$/.test(before)) continue;
    if (m.index + 1 >= 40 && m.index + 1 <= 220)
      return { lead: text.slice(0, m.index + 1), rest: text.slice(m.index + 1).trim() };
    if (m.index + 1 > 220) break;
  }
  const cut = text.lastIndexOf(' ', 150);
  return { lead: `${text.slice(0, cut > 60 ? cut : 150)} …`, rest: text };
}
