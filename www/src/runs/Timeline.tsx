// The node timeline: a bar per node log row on one time axis, placed by
// when the node started and as long as it ran. A bar is a button that
// opens the node's input and output below.
import { formatDuration, type ExecutionLog } from '../api/runs';
import { buildTimeline } from './timeline';
import { nodeStatus } from './StatusBadge';

interface Props {
  logs: ExecutionLog[];
  startedAt: string | null;
  selected: number | null;
  onSelect: (index: number) => void;
}

export function Timeline({ logs, startedAt, selected, onSelect }: Props) {
  const t = buildTimeline(logs, startedAt);
  return (
    <div className="timeline" data-testid="timeline">
      <div className="timeline-scale muted small" aria-hidden="true">
        <span>0</span>
        <span>{formatDuration(t.spanMs / 2)}</span>
        <span>{formatDuration(t.spanMs)}</span>
      </div>
      <ul>
        {t.bars.map((b, i) => (
          <li key={b.log.id} className="timeline-row">
            <span className="timeline-label">
              <code>{b.log.node_id}</code>
            </span>
            <span className="timeline-track">
              <button
                type="button"
                className={`timeline-bar bar-${b.log.status}`}
                data-status={nodeStatus(b.log.status)}
                style={{ left: `${b.left * 100}%`, width: `${b.width * 100}%` }}
                aria-pressed={selected === i}
                aria-label={`${b.log.node_id}: ${b.log.status}, started at +${formatDuration(b.startMs)}, took ${formatDuration(b.log.duration_ms)}`}
                onClick={() => onSelect(i)}
              />
            </span>
            <span className="timeline-dur muted small">{formatDuration(b.log.duration_ms)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
