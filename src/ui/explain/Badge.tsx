import type { Badge as BadgeInfo } from './format';

const MARK: Record<BadgeInfo['state'], string> = { equal: '✓', differs: '✗', pending: '…', error: '!' };

/** One check of a demo (e.g. "engine = the seed's printed values"), announced politely when it changes. */
export function Badge({ badge, testId }: { badge: BadgeInfo; testId: string }) {
  return (
    <span
      className={`explain-badge ${badge.state}`}
      data-testid={testId}
      data-state={badge.state}
      role="status"
    >
      <span aria-hidden="true">{MARK[badge.state]} </span>
      {badge.text}
    </span>
  );
}
