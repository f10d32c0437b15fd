// A secret the server shows once (a new API key): the value, a copy
// button, and a plain warning that it cannot be seen again. Dismissing it
// removes it from the page.
import { useRef, useState } from 'react';

export function ShownOnce({ title, value, onDone }: { title: string; value: string; onDone: () => void }) {
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  const ref = useRef<HTMLInputElement>(null);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('yes');
    } catch {
      // No clipboard (an insecure origin, a refusal): select it for Ctrl+C.
      ref.current?.select();
      setCopied('no');
    }
  };

  return (
    <div className="shown-once card" role="region" aria-label={title}>
      <h3>{title}</h3>
      <p className="warn-text">
        Copy it now: you won't see it again. Pipelit keeps only a hash of it, so a lost key cannot be shown, only revoked and replaced.
      </p>
      <div className="row">
        <input ref={ref} className="mono grow" readOnly value={value} aria-label="The new key" data-testid="new-key" onFocus={(e) => e.currentTarget.select()} />
        <button type="button" onClick={copy}>
          Copy
        </button>
      </div>
      <p className="muted" role="status">
        {copied === 'yes' ? 'Copied to the clipboard.' : copied === 'no' ? 'The clipboard is not available here: the key is selected, press Ctrl+C.' : ''}
      </p>
      <button type="button" className="primary" onClick={onDone}>
        I have copied it
      </button>
    </div>
  );
}
