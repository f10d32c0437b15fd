// A text field for a template: typing inside {{ lists the upstream nodes and
// their output ports (completions.ts). Arrow keys move in the list, Enter or
// Tab takes the choice, Escape closes it. The list is a listbox tied to the
// field with aria-activedescendant.
import { useId, useRef, useState } from 'react';
import { applyCompletion, type CompletionResult } from './completions';

interface Props {
  id: string;
  value: string;
  multiline?: boolean;
  describedBy?: string;
  complete: (text: string, caret: number) => CompletionResult | null;
  onChange: (v: string) => void;
}

export function ExpressionInput({ id, value, multiline, describedBy, complete, onChange }: Props) {
  const listId = useId();
  const ref = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const [result, setResult] = useState<CompletionResult | null>(null);
  const [active, setActive] = useState(0);
  const open = !!result && result.items.length > 0;

  const refresh = (text: string, caret: number) => {
    const r = complete(text, caret);
    setResult(r);
    setActive(0);
  };

  const take = (i: number) => {
    if (!result) return;
    const c = result.items[i];
    const next = applyCompletion(value, result, c);
    onChange(next.text);
    setResult(null);
    requestAnimationFrame(() => {
      const el = ref.current;
      if (!el) return;
      el.focus();
      el.setSelectionRange(next.caret, next.caret);
      refresh(next.text, next.caret);
    });
  };

  const common = {
    id,
    ref,
    value,
    role: 'combobox',
    'aria-autocomplete': 'list' as const,
    'aria-expanded': open,
    'aria-controls': listId,
    'aria-activedescendant': open ? `${listId}-${active}` : undefined,
    'aria-describedby': describedBy,
    autoComplete: 'off',
    spellCheck: false,
    onChange: (e: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => {
      onChange(e.target.value);
      refresh(e.target.value, e.target.selectionStart ?? e.target.value.length);
    },
    onKeyDown: (e: React.KeyboardEvent) => {
      if (!open) return;
      if (e.key === 'ArrowDown') setActive((a) => (a + 1) % result!.items.length);
      else if (e.key === 'ArrowUp') setActive((a) => (a - 1 + result!.items.length) % result!.items.length);
      else if (e.key === 'Enter' || e.key === 'Tab') take(active);
      else if (e.key === 'Escape') setResult(null);
      else return;
      e.preventDefault();
      e.stopPropagation();
    },
    onBlur: () => window.setTimeout(() => setResult(null), 150),
  };

  return (
    <div className="expr">
      {multiline ? <textarea rows={4} {...common} /> : <input type="text" {...common} />}
      <ul id={listId} role="listbox" aria-label="Completions" className="expr-list" hidden={!open}>
        {open &&
          result!.items.map((c, i) => (
            <li
              key={c.label}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              onMouseDown={(e) => {
                e.preventDefault();
                take(i);
              }}
            >
              <code>{c.label}</code> <span className="muted">{c.detail}</span>
            </li>
          ))}
      </ul>
    </div>
  );
}
