// A JSON value, pretty-printed; a string is shown as text.
export function JsonBlock({ value, label, testId }: { value: unknown; label: string; testId?: string }) {
  if (value === null || value === undefined) return <p className="muted">None.</p>;
  const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  return (
    <pre tabIndex={0} aria-label={label} data-testid={testId}>
      {text}
    </pre>
  );
}
