// A status as a badge, with data-status for tests. A node's log row says
// completed where the live events and the editor say success: nodeStatus()
// gives a node's badge the one vocabulary (running, success, failed,
// waiting, pending).
export function StatusBadge({ status, label }: { status: string; label?: string }) {
  return (
    <span className={`badge status-${status}`} data-status={status}>
      {label ?? status}
    </span>
  );
}

export function nodeStatus(logStatus: string): string {
  return logStatus === 'completed' ? 'success' : logStatus;
}
