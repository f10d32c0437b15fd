// The node types, grouped by category and searchable. An item is dragged
// onto the canvas, or added at the middle of the view with Enter.
import { memo, useMemo, useState } from 'react';
import type { NodeTypes, NodeTypeSpec } from '../api/editor';

export const DRAG_TYPE = 'application/x-pipelit-node-type';

const CATEGORY_NAMES: Record<string, string> = {
  trigger: 'Triggers',
  ai: 'AI',
  logic: 'Logic',
  flow: 'Flow',
  output: 'Output',
  memory: 'Memory',
  sub_component: 'Models and tools',
  agent: 'Agent tools',
};

const ORDER = ['trigger', 'ai', 'logic', 'flow', 'output', 'memory', 'sub_component', 'agent'];

export function groupTypes(types: NodeTypes, search: string): [string, NodeTypeSpec[]][] {
  const q = search.trim().toLowerCase();
  const groups = new Map<string, NodeTypeSpec[]>();
  for (const t of Object.values(types)) {
    if (q && !`${t.display_name} ${t.component_type} ${t.description}`.toLowerCase().includes(q)) continue;
    const g = groups.get(t.category);
    if (g) g.push(t);
    else groups.set(t.category, [t]);
  }
  const rank = (c: string) => (ORDER.indexOf(c) < 0 ? ORDER.length : ORDER.indexOf(c));
  return [...groups.entries()]
    .sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]))
    .map(([c, list]) => [c, list.sort((a, b) => a.display_name.localeCompare(b.display_name))]);
}

function PaletteImpl({ types, onAdd }: { types: NodeTypes; onAdd: (componentType: string) => void }) {
  const [search, setSearch] = useState('');
  const groups = useMemo(() => groupTypes(types, search), [types, search]);
  return (
    <aside className="palette" aria-label="Node types">
      <label className="sr-only" htmlFor="palette-search">
        Search node types
      </label>
      <input
        id="palette-search"
        type="search"
        placeholder="Search nodes"
        value={search}
        onChange={(e) => setSearch(e.target.value)}
      />
      <p className="muted small">Drag onto the canvas, or press Enter to add.</p>
      {groups.length === 0 && <p className="muted">No node type matches.</p>}
      {groups.map(([cat, list]) => (
        <section key={cat} aria-label={CATEGORY_NAMES[cat] ?? cat}>
          <h2 className="palette-cat">{CATEGORY_NAMES[cat] ?? cat}</h2>
          <ul>
            {list.map((t) => (
              <li key={t.component_type}>
                <button
                  type="button"
                  className={`palette-item cat-${t.category}`}
                  draggable
                  title={t.description}
                  data-type={t.component_type}
                  aria-label={`Add ${t.display_name}`}
                  onDragStart={(e) => {
                    e.dataTransfer.setData(DRAG_TYPE, t.component_type);
                    e.dataTransfer.effectAllowed = 'copy';
                  }}
                  onClick={() => onAdd(t.component_type)}
                >
                  {t.display_name}
                </button>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </aside>
  );
}

export const Palette = memo(PaletteImpl);
