// One node on the canvas: its name, id, typed handles and run status. The
// status and the validation mark come from NodeFlags by subscription, so a
// live event re-renders the one node it is about; everything else is in
// data, which changes only when the node itself does.
import { createContext, memo, useCallback, useContext, useSyncExternalStore } from 'react';
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import type { ApiNode, NodeTypeSpec } from '../api/editor';
import { handlesOf, type HandleInfo } from './graph';
import { NodeFlags, STATUS_TEXT } from './runStatus';

export interface NodeData extends Record<string, unknown> {
  api: ApiNode;
  spec: NodeTypeSpec | undefined;
}

export type EditorNode = Node<NodeData, 'pipelit'>;
// The end of the run, where conditional edges to "__end__" lead (graph.ts).
export type EndNode = Node<Record<string, never>, 'end'>;
export type CanvasNode = EditorNode | EndNode;

export const FlagsContext = createContext<NodeFlags>(new NodeFlags());

const SIDE: Record<HandleInfo['side'], Position> = {
  left: Position.Left,
  right: Position.Right,
  top: Position.Top,
  bottom: Position.Bottom,
};

const ROW = 18;
const HEAD = 46;

function handleStyle(h: HandleInfo, index: number, count: number): React.CSSProperties {
  if (h.side === 'left' || h.side === 'right') return { top: HEAD + index * ROW };
  return { left: `${((index + 1) * 100) / (count + 1)}%` };
}

function NodeStatus({ id }: { id: string }) {
  const flags = useContext(FlagsContext);
  const sub = useCallback((cb: () => void) => flags.subscribe(id, cb), [flags, id]);
  const status = useSyncExternalStore(sub, () => flags.statusOf(id));
  const problem = useSyncExternalStore(sub, () => flags.hasProblem(id));
  return (
    <>
      <span className="node-badge" data-status={status} data-testid={`status-${id}`} title={STATUS_TEXT[status]}>
        <span className="sr-only">Status: </span>
        {STATUS_TEXT[status]}
      </span>
      {problem && (
        <span className="node-problem" data-testid={`problem-${id}`}>
          Needs attention
        </span>
      )}
    </>
  );
}

function NodeCardImpl({ data, selected }: NodeProps<EditorNode>) {
  const { api, spec } = data;
  const handles = handlesOf(spec);
  const bySide = (side: HandleInfo['side']) => handles.filter((h) => h.side === side);
  const rows = Math.max(bySide('left').length, bySide('right').length, 1);
  const inactive = api.config && api.config.is_active === false;
  return (
    <div
      className={`node-card cat-${spec?.category ?? 'unknown'}${selected ? ' selected' : ''}${inactive ? ' inactive' : ''}`}
      style={{ minHeight: HEAD + rows * ROW + (bySide('bottom').length ? ROW : 0) }}
      data-testid={`node-${api.node_id}`}
    >
      <div className="node-title">{api.label || spec?.display_name || api.component_type}</div>
      <div className="node-id">{api.node_id}</div>
      <NodeStatus id={api.node_id} />
      {(['left', 'right', 'top', 'bottom'] as const).map((side) => {
        const list = bySide(side);
        return list.map((h, i) => (
          <Handle
            key={h.id}
            id={h.id}
            type={h.kind}
            position={SIDE[side]}
            style={handleStyle(h, i, list.length)}
            className={`handle handle-${h.side} dt-${h.dataType}`}
            title={`${h.name} (${h.dataType})`}
            aria-label={`${h.kind === 'source' ? 'Output' : 'Input'} ${h.name} of ${api.node_id}`}
            data-handle={h.id}
          >
            {(side === 'left' || side === 'right') && <span className={`handle-name ${side}`}>{h.name}</span>}
            {side === 'bottom' && <span className="handle-name bottom">{h.name}</span>}
          </Handle>
        ));
      })}
    </div>
  );
}

// Re-rendered only when its node object or selection changes.
export const NodeCard = memo(NodeCardImpl);

// The end marker: not a node of the workflow, only where a route ends the
// run. It takes connections (a switch's or an assertion's route) on its left.
function EndMarkerImpl() {
  return (
    <div className="end-marker" data-testid="node-__end__" title="End of the run: a route connected here ends it">
      <Handle id="in" type="target" position={Position.Left} className="handle handle-left dt-any" title="Connect a route here to end the run" data-handle="in" />
      <span aria-hidden="true">■</span> End
    </div>
  );
}
const EndMarker = memo(EndMarkerImpl);

export const nodeTypesMap = { pipelit: NodeCard, end: EndMarker };
