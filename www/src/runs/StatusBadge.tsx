// A status as a badge. Node statuses carry data-status for tests
// (running, success, failed, waiting, pending); an execution's own status
// is shown as the API names it.
export function StatusBadge({ status, label }: { status: string; label?: string }) {
  return (
    <span className={`badge status-${status}`} data-status={status}>
      {label ?? status}
    </span>
  );
}
