// How much of a limit is used: a meter with the figures beside it, or just
// the figure when there is no limit.
import { formatUsd } from '../api/runs';

interface Props {
  label: string;
  used: number;
  limit: number | null;
  usd?: boolean;
}

export function BudgetMeter({ label, used, limit, usd }: Props) {
  const fmt = (n: number) => (usd ? formatUsd(n) : n.toLocaleString());
  if (limit === null || limit === undefined) {
    return (
      <span className="budget-line">
        {label}: {fmt(used)} <span className="muted">(no limit)</span>
      </span>
    );
  }
  const share = limit > 0 ? Math.min(1, used / limit) : 1;
  const level = share >= 1 ? 'over' : share >= 0.8 ? 'high' : 'ok';
  return (
    <span className="budget-line">
      {label}:{' '}
      <meter
        className={`budget-meter budget-${level}`}
        min={0}
        max={limit > 0 ? limit : 1}
        low={limit * 0.8}
        high={limit * 0.99}
        optimum={0}
        value={Math.min(used, limit > 0 ? limit : 1)}
        aria-label={`${label}: ${fmt(used)} of ${fmt(limit)}`}
      />{' '}
      {fmt(used)} of {fmt(limit)}
    </span>
  );
}
