// The workflow editor: the canvas and everything that changes the graph.
// Every change goes to the API first and shows once the server took it; a
// refusal is shown in the server's words. Each change is an undoable step
// replayed through the API (history.ts). Live events of workflow:<slug>
// drive the status badges of the execution shown (the latest started).
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  applyNodeChanges,
  useNodesInitialized,
  useReactFlow,
  type Connection,
  type Edge,
  type NodeChange,
  type EdgeChange,
  applyEdgeChanges,
  type OnBeforeDelete,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import {
  editorApi,
  type ApiEdge,
  type ApiNode,
  type Budget,
  type ComponentConfig,
  type EdgeIn,
  type ExecutionDetail,
  type NodeIn,
  type NodeTypes,
  type WorkflowDetail,
} from '../api/editor';
import { ApiError } from '../api/client';
import { subscribe, type LiveEvent, type LiveState, type Subscription } from '../events/live';
import { ErrorNote } from '../ui/kit';
import { BudgetForm } from './BudgetForm';
import { CONDITIONAL_SOURCES, END_ID, connectionKind, edgeClass, edgeHandles, edgeText, endMarkerPlace, nodesNamed } from './graph';
import { History, type Step } from './history';
import { FlagsContext, nodeTypesMap, type CanvasNode, type EditorNode, type EndNode } from './NodeCard';
import { DRAG_TYPE, Palette } from './Palette';
import { NodeFlags, statusesOf, type StatusEvent } from './runStatus';
import { CopyField, SidePanel, webhookUrl } from './SidePanel';

interface EdgeData extends Record<string, unknown> {
  api: ApiEdge;
}
type EditorEdge = Edge<EdgeData>;

const MOVE_SAVE_MS = 400;
const SECRET_MASK = '********';

// The chat panel is another part of the UI; it is loaded only when it exists
// and only when opened.
const chatModules = import.meta.glob<{ ChatPanel: (p: { slug: string; onClose: () => void }) => JSX.Element }>('../chat/ChatPanel.tsx');
const chatLoader = Object.values(chatModules)[0];
const ChatPanel = chatLoader ? lazy(() => chatLoader().then((m) => ({ default: m.ChatPanel }))) : null;

// A config as a new node's config: the mask cannot stand for a secret the
// new node does not have.
function configForCreate(c: ComponentConfig): Partial<ComponentConfig> {
  const extra = { ...(c.extra_config || {}) };
  if (extra.secret === SECRET_MASK) delete extra.secret;
  return { ...c, extra_config: extra };
}

// A delete whose object is already gone (404: deleted in another tab, or by
// a replayed step) has done what was asked.
async function deleteIfThere(request: Promise<unknown>): Promise<void> {
  try {
    await request;
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) throw e;
  }
}

function endNodeAt(p: { x: number; y: number } | null): EndNode | null {
  return p ? { id: END_ID, type: 'end', position: p, data: {}, deletable: false } : null;
}

function isTyping(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
}

interface Props {
  workflow: WorkflowDetail;
  types: NodeTypes;
}

export function EditorCanvas({ workflow, types }: Props) {
  const slug = workflow.slug;
  const flow = useReactFlow<EditorNode, EditorEdge>();
  const flags = useMemo(() => new NodeFlags(), []);
  const history = useMemo(() => new History(), []);
  useSyncExternalStore(history.subscribe, history.snapshot);

  const toNode = useCallback(
    (n: ApiNode): EditorNode => ({
      id: n.node_id,
      type: 'pipelit',
      position: { x: n.position_x, y: n.position_y },
      data: { api: n, spec: types[n.component_type] },
    }),
    [types],
  );

  const [nodes, setNodes] = useState<EditorNode[]>(() => workflow.nodes.map(toNode));
  const [apiEdges, setApiEdges] = useState<ApiEdge[]>(workflow.edges);
  const [edgeSel, setEdgeSel] = useState<Set<string>>(new Set());
  const nodesRef = useRef(nodes);
  nodesRef.current = nodes;
  const edgesRef = useRef(apiEdges);
  edgesRef.current = apiEdges;

  const [notice, setNotice] = useState<{ error?: unknown; text?: string } | null>(null);
  const fail = useCallback((e: unknown) => setNotice({ error: e }), []);

  // The end marker (graph.ts): placed when it first appears, then where the
  // user moves it (its place is not stored: it is no node of the workflow).
  const [endNode, setEndNode] = useState<EndNode | null>(() => endNodeAt(endMarkerPlace(workflow.nodes, workflow.edges)));
  const endWanted = useMemo(
    () => apiEdges.some((e) => e.target_node_id === END_ID) || nodes.some((n) => CONDITIONAL_SOURCES.has(n.data.api.component_type)),
    // Types change only with the node set: its size and the edges say when.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [apiEdges, nodes.length],
  );
  useEffect(() => {
    if (endWanted && !endNode) setEndNode(endNodeAt(endMarkerPlace(nodesRef.current.map((n) => n.data.api), edgesRef.current)));
    else if (!endWanted && endNode) setEndNode(null);
  }, [endWanted, endNode]);
  const hasEnd = endNode !== null;
  const canvasNodes = useMemo<CanvasNode[]>(() => (endNode ? [...nodes, endNode] : nodes), [nodes, endNode]);

  // The canvas's edges, rebuilt only when the API's edges or the selection change.
  const edges = useMemo<EditorEdge[]>(() => {
    const typeOf = new Map(nodes.map((n) => [n.id, n.data.api.component_type]));
    const out: EditorEdge[] = [];
    for (const e of apiEdges) {
      const toEnd = e.target_node_id === END_ID && hasEnd;
      if (!typeOf.has(e.source_node_id) || !(toEnd || typeOf.has(e.target_node_id))) continue;
      const h = edgeHandles(e, types[typeOf.get(e.source_node_id)!], toEnd ? undefined : types[typeOf.get(e.target_node_id)!]);
      const id = String(e.id);
      out.push({
        id,
        source: e.source_node_id,
        target: e.target_node_id,
        sourceHandle: h.sourceHandle,
        targetHandle: h.targetHandle,
        label: edgeText(e),
        className: edgeClass(e),
        selected: edgeSel.has(id),
        ariaLabel: `Edge from ${e.source_node_id} to ${toEnd ? 'the end of the run' : e.target_node_id}${e.condition_value ? ` when ${e.condition_value}` : ''}${e.edge_label ? ` (${e.edge_label})` : ''}`,
        data: { api: e },
      });
    }
    return out;
    // The node set matters only for which ends exist and their types.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [apiEdges, edgeSel, nodes.length, types, hasEnd]);

  // ---- Edge ids: re-creating an edge (undo of a delete) gives it a new id;
  // steps name an edge by the id it first had.
  const edgeKey = useRef(new Map<number, number>()); // any id -> first id
  const edgeNow = useRef(new Map<number, number>()); // first id -> current id
  const keyOf = (id: number) => edgeKey.current.get(id) ?? id;
  const idOf = (key: number) => edgeNow.current.get(key) ?? key;
  const remember = (key: number, id: number) => {
    edgeKey.current.set(id, key);
    edgeNow.current.set(key, id);
  };

  // ---- Raw operations: the API, then the canvas.
  const savedPos = useRef(new Map<string, { x: number; y: number }>(workflow.nodes.map((n) => [n.node_id, { x: n.position_x, y: n.position_y }])));

  const createNode = useCallback(
    async (body: NodeIn) => {
      const n = await editorApi.addNode(slug, body);
      savedPos.current.set(n.node_id, { x: n.position_x, y: n.position_y });
      setNodes((ns) => [...ns.filter((x) => x.id !== n.node_id), toNode(n)]);
      return n;
    },
    [slug, toNode],
  );

  const removeNode = useCallback(
    async (nodeId: string) => {
      await deleteIfThere(editorApi.deleteNode(slug, nodeId));
      setNodes((ns) => ns.filter((n) => n.id !== nodeId));
      setApiEdges((es) => es.filter((e) => e.source_node_id !== nodeId && e.target_node_id !== nodeId));
    },
    [slug],
  );

  const createEdge = useCallback(
    async (body: EdgeIn) => {
      const e = await editorApi.addEdge(slug, body);
      setApiEdges((es) => [...es, e]);
      return e;
    },
    [slug],
  );

  const removeEdge = useCallback(
    async (id: number) => {
      await deleteIfThere(editorApi.deleteEdge(slug, id));
      setApiEdges((es) => es.filter((e) => e.id !== id));
    },
    [slug],
  );

  const patchNode = useCallback(
    async (nodeId: string, body: Record<string, unknown>) => {
      const n = await editorApi.patchNode(slug, nodeId, body);
      savedPos.current.set(n.node_id, { x: n.position_x, y: n.position_y });
      setNodes((ns) => ns.map((x) => (x.id === nodeId ? { ...x, position: { x: n.position_x, y: n.position_y }, data: { api: n, spec: types[n.component_type] } } : x)));
      return n;
    },
    [slug, types],
  );

  // A new node_id (PATCH): the server moves the node's edges and schedule
  // to it in one transaction; the canvas follows, the node kept selected.
  const renameRaw = useCallback(
    async (from: string, to: string) => {
      const n = await editorApi.patchNode(slug, from, { node_id: to });
      const pos = savedPos.current.get(from);
      savedPos.current.delete(from);
      if (pos) savedPos.current.set(n.node_id, pos);
      setNodes((ns) => ns.map((x) => (x.id === from ? { ...toNode(n), position: x.position, selected: x.selected } : x)));
      setApiEdges((es) =>
        es.map((e) =>
          e.source_node_id === from || e.target_node_id === from
            ? { ...e, source_node_id: e.source_node_id === from ? n.node_id : e.source_node_id, target_node_id: e.target_node_id === from ? n.node_id : e.target_node_id }
            : e,
        ),
      );
      return n.node_id;
    },
    [slug, toNode],
  );

  const edgeBody = (e: ApiEdge): EdgeIn => ({
    source_node_id: e.source_node_id,
    target_node_id: e.target_node_id,
    edge_label: e.edge_label,
    edge_type: e.edge_type,
    condition_value: e.condition_value,
    priority: e.priority,
  });

  const run = useCallback(
    async (f: () => Promise<unknown>) => {
      try {
        await f();
      } catch (e) {
        fail(e);
      }
    },
    [fail],
  );

  // ---- Undoable operations.
  const addNodeAt = useCallback(
    (componentType: string, pos: { x: number; y: number }) =>
      run(async () => {
        const n = await createNode({ component_type: componentType, position_x: Math.round(pos.x), position_y: Math.round(pos.y) });
        const again: NodeIn = { component_type: n.component_type, node_id: n.node_id, label: n.label, position_x: n.position_x, position_y: n.position_y, config: configForCreate(n.config) };
        history.push({ what: `add ${n.node_id}`, undo: () => removeNode(n.node_id), redo: () => createNode(again).then(() => undefined) });
        setNotice(null);
      }),
    [run, createNode, removeNode, history],
  );

  const canvasRef = useRef<HTMLDivElement>(null);
  const addAtCentre = useCallback(
    (componentType: string) => {
      const r = canvasRef.current?.getBoundingClientRect();
      const centre = r ? flow.screenToFlowPosition({ x: r.left + r.width / 2, y: r.top + r.height / 2 }) : { x: 0, y: 0 };
      // Nodes added one after another do not land on each other.
      const offset = (nodesRef.current.length % 5) * 24;
      void addNodeAt(componentType, { x: centre.x - 90 + offset, y: centre.y - 30 + offset });
    },
    [flow, addNodeAt],
  );

  const deleteElements = useCallback(
    (nodeIds: string[], edgeIds: number[]) =>
      run(async () => {
        const gone = new Set(nodeIds);
        const apiNodes = nodesRef.current.filter((n) => gone.has(n.id)).map((n) => n.data.api);
        const attached = edgesRef.current.filter((e) => gone.has(e.source_node_id) || gone.has(e.target_node_id));
        const loose = edgesRef.current.filter((e) => edgeIds.includes(e.id) && !attached.includes(e));
        const edgesGone = [...attached, ...loose].map((e) => ({ key: keyOf(e.id), body: edgeBody(e) }));
        const looseKeys = loose.map((e) => keyOf(e.id));
        if (!apiNodes.length && !loose.length) return;
        for (const k of looseKeys) await removeEdge(idOf(k));
        for (const n of apiNodes) await removeNode(n.node_id);
        const step: Step = {
          what: `delete ${[...apiNodes.map((n) => n.node_id), ...(loose.length ? [`${loose.length} edge(s)`] : [])].join(', ')}`,
          undo: async () => {
            for (const n of apiNodes)
              await createNode({ component_type: n.component_type, node_id: n.node_id, label: n.label, position_x: n.position_x, position_y: n.position_y, config: configForCreate(n.config), is_entry_point: n.is_entry_point });
            for (const e of edgesGone) {
              const made = await createEdge(e.body);
              remember(e.key, made.id);
            }
          },
          redo: async () => {
            for (const k of looseKeys) await removeEdge(idOf(k));
            for (const n of apiNodes) await removeNode(n.node_id);
          },
        };
        history.push(step);
        setNotice(null);
      }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [run, removeEdge, removeNode, createNode, createEdge, history],
  );

  const connectWith = useCallback(
    (body: EdgeIn) =>
      run(async () => {
        const e = await createEdge(body);
        const key = keyOf(e.id);
        history.push({
          what: `connect ${body.source_node_id} to ${body.target_node_id}`,
          undo: () => removeEdge(idOf(key)),
          redo: async () => remember(key, (await createEdge(body)).id),
        });
        setNotice(null);
      }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [run, createEdge, removeEdge, history],
  );

  const saveNode = useCallback(
    async (nodeId: string, body: { label: string | null; config: Partial<ComponentConfig> }) => {
      const before = nodesRef.current.find((n) => n.id === nodeId)?.data.api;
      await patchNode(nodeId, body);
      if (!before) return;
      const back = { label: before.label, config: { ...before.config } };
      history.push({ what: `change ${nodeId}`, undo: () => patchNode(nodeId, back).then(() => undefined), redo: () => patchNode(nodeId, body).then(() => undefined) });
    },
    [patchNode, history],
  );

  // Steps are undone last first, so the ids a step names are the ones in
  // place when it is replayed: a rename needs no mapping of earlier steps.
  const renameNode = useCallback(
    async (from: string, to: string) => {
      const now = await renameRaw(from, to);
      history.push({ what: `rename ${from} to ${now}`, undo: () => renameRaw(now, from).then(() => undefined), redo: () => renameRaw(from, now).then(() => undefined) });
    },
    [renameRaw, history],
  );

  // ---- Moves: saved a moment after the node stops, as one step per batch.
  const pendingMoves = useRef(new Set<string>());
  const moveTimer = useRef<number | undefined>(undefined);
  const flushMoves = useCallback(() => {
    moveTimer.current = undefined;
    const ids = [...pendingMoves.current];
    pendingMoves.current.clear();
    const moves: { id: string; from: { x: number; y: number }; to: { x: number; y: number } }[] = [];
    for (const id of ids) {
      const n = nodesRef.current.find((x) => x.id === id);
      const from = savedPos.current.get(id);
      if (!n || !from) continue;
      const to = { x: Math.round(n.position.x), y: Math.round(n.position.y) };
      if (to.x !== from.x || to.y !== from.y) moves.push({ id, from, to });
    }
    if (!moves.length) return;
    const apply = (which: 'from' | 'to') => async () => {
      for (const m of moves) await patchNode(m.id, { position_x: m[which].x, position_y: m[which].y });
    };
    void run(async () => {
      await apply('to')();
      history.push({ what: `move ${moves.map((m) => m.id).join(', ')}`, undo: apply('from'), redo: apply('to') });
    });
  }, [patchNode, history, run]);

  useEffect(() => () => window.clearTimeout(moveTimer.current), []);

  const onNodesChange = useCallback(
    (all: NodeChange<CanvasNode>[]) => {
      // The end marker's changes (measured, moved, selected) stay on it.
      const isEnd = (c: NodeChange<CanvasNode>) => c.type !== 'add' && c.id === END_ID;
      const forEnd = all.filter(isEnd);
      if (forEnd.length) setEndNode((n) => (n ? (applyNodeChanges(forEnd, [n])[0] as EndNode) : n));
      // Removal goes through onBeforeDelete (the API first), never here.
      const kept = all.filter((c) => c.type !== 'remove' && !isEnd(c)) as NodeChange<EditorNode>[];
      if (!kept.length) return;
      setNodes((ns) => applyNodeChanges(kept, ns));
      let moved = false;
      for (const c of kept) {
        if (c.type === 'position' && !c.dragging) {
          pendingMoves.current.add(c.id);
          moved = true;
        }
      }
      if (moved) {
        window.clearTimeout(moveTimer.current);
        moveTimer.current = window.setTimeout(flushMoves, MOVE_SAVE_MS);
      }
    },
    [flushMoves],
  );

  const onEdgesChange = useCallback((changes: EdgeChange<EditorEdge>[]) => {
    const sel = changes.filter((c) => c.type === 'select');
    if (!sel.length) return;
    setEdgeSel((old) => {
      const next = new Set(old);
      for (const c of sel) if (c.type === 'select') (c.selected ? next.add(c.id) : next.delete(c.id));
      return next;
    });
    // Only selection is kept here: the rest comes from the API.
    void applyEdgeChanges;
  }, []);

  const onBeforeDelete: OnBeforeDelete<CanvasNode, EditorEdge> = useCallback(
    async ({ nodes: ns, edges: es }) => {
      void deleteElements(ns.filter((n) => n.id !== END_ID).map((n) => n.id), es.map((e) => Number(e.id)));
      return false;
    },
    [deleteElements],
  );

  // ---- Connections: the kind from the handles; a switch's asks for its value.
  const [pending, setPending] = useState<EdgeIn | null>(null);
  const onConnect = useCallback(
    (c: Connection) => {
      const src = nodesRef.current.find((n) => n.id === c.source);
      if (!src || !c.target) return;
      const kind = connectionKind(src.data.api.component_type, c.sourceHandle, c.targetHandle);
      const body: EdgeIn = { source_node_id: c.source, target_node_id: c.target, edge_label: kind.edge_label, edge_type: kind.conditional ? 'conditional' : 'direct' };
      if (kind.conditional) setPending(body);
      else void connectWith(body);
    },
    [connectWith],
  );

  // ---- Drop from the palette.
  const onDragOver = useCallback((e: React.DragEvent) => {
    if (e.dataTransfer.types.includes(DRAG_TYPE)) {
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
    }
  }, []);
  const onDrop = useCallback(
    (e: React.DragEvent) => {
      const t = e.dataTransfer.getData(DRAG_TYPE);
      if (!t) return;
      e.preventDefault();
      const p = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      void addNodeAt(t, { x: p.x - 90, y: p.y - 20 });
    },
    [flow, addNodeAt],
  );

  // ---- Undo and redo from the keyboard.
  const undo = useCallback(() => run(() => history.undo()), [run, history]);
  const redo = useCallback(() => run(() => history.redo()), [run, history]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || isTyping(e.target)) return;
      const k = e.key.toLowerCase();
      if (k === 'z' && !e.shiftKey) void undo();
      else if ((k === 'z' && e.shiftKey) || k === 'y') void redo();
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [undo, redo]);

  // ---- Live runs.
  const [execId, setExecId] = useState<string | null>(null);
  const [execStatus, setExecStatus] = useState<string>('');
  const [liveState, setLiveState] = useState<LiveState>('connecting');
  const execRef = useRef<string | null>(null);
  const execStarted = useRef<string | null>(null);
  const events = useRef<StatusEvent[]>([]);
  const detail = useRef<ExecutionDetail | null>(null);
  const subRef = useRef<Subscription | null>(null);
  const loadSeq = useRef(0);
  const eventCounter = useRef(0);

  const recompute = useCallback(() => flags.setStatuses(statusesOf(detail.current, events.current)), [flags]);

  const show = useCallback(
    (id: string, started: string | null) => {
      if (execRef.current === id) return;
      execRef.current = id;
      execStarted.current = started;
      events.current = [];
      detail.current = null;
      setExecId(id);
      setExecStatus('pending');
      recompute();
    },
    [recompute],
  );

  const reload = useCallback(async () => {
    const mine = ++loadSeq.current;
    try {
      const latest = await editorApi.latestExecution(slug);
      const top = latest.items[0];
      if (mine !== loadSeq.current) return;
      // The latest started one, unless the one shown has not started yet
      // (a run just asked for) or started later.
      const newer = top?.started_at && (!execRef.current || (execStarted.current && Date.parse(top.started_at) > Date.parse(execStarted.current)));
      if (top && top.execution_id !== execRef.current && newer) show(top.execution_id, top.started_at);
      const id = execRef.current;
      if (!id) return;
      const d = await editorApi.execution(id);
      if (mine !== loadSeq.current || execRef.current !== d.execution_id) return;
      detail.current = d;
      execStarted.current = d.started_at;
      subRef.current?.seq.known(d.execution_id, d.event_seq);
      setExecStatus(d.status);
      recompute();
    } catch {
      /* the next resync or event tries again */
    }
  }, [slug, show, recompute]);

  useEffect(() => {
    const onEvent = (e: LiveEvent) => {
      const id = e.execution_id;
      if (!id) return;
      if (e.type === 'execution_started' && id !== execRef.current) show(id, new Date((e.timestamp ?? Date.now() / 1000) * 1000).toISOString());
      else if (!execRef.current) show(id, null);
      if (id !== execRef.current) return;
      const data = e.data || {};
      if (e.type === 'node_status' && typeof data.node_id === 'string' && typeof data.status === 'string') {
        events.current.push({ seq: typeof e.seq === 'number' ? e.seq : Number.MAX_SAFE_INTEGER - 1000 + eventCounter.current++, node_id: data.node_id, status: data.status });
        recompute();
        setExecStatus((s) => (s === 'pending' ? 'running' : s));
      } else if (e.type === 'execution_started') {
        setExecStatus('running');
        // The detail names the trigger that started the run (no event does).
        void reload();
      }
      else if (e.type === 'execution_interrupted') setExecStatus('interrupted');
      else if (e.type === 'execution_completed' || e.type === 'execution_failed' || e.type === 'execution_cancelled') {
        setExecStatus(e.type.slice('execution_'.length));
        void reload();
      }
    };
    // Each time the stream opens, read the run again: nchan does not replay
    // to a new subscriber what was published before it subscribed.
    const onState = (st: LiveState) => {
      setLiveState(st);
      if (st === 'live') void reload();
    };
    const sub = subscribe(`workflow:${slug}`, { onEvent, onResync: () => void reload(), onState });
    subRef.current = sub;
    void reload();
    return () => {
      sub.close();
      subRef.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [slug]);

  // ---- Toolbar actions.
  const [validation, setValidation] = useState<{ valid: boolean; errors: string[] } | null>(null);
  const validate = () =>
    run(async () => {
      const v = await editorApi.validate(slug);
      setValidation(v);
      flags.setProblems(v.errors.flatMap((m) => nodesNamed(m, nodesRef.current.map((n) => n.data.api))));
    });

  const [runText, setRunText] = useState('');
  const startRun = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const r = await editorApi.execute(slug, runText);
      show(r.execution_id, null);
      setNotice({ text: `Run started.` });
      void reload();
    });
  };

  const [budget, setBudget] = useState(workflow.budget);
  const [budgetToday, setBudgetToday] = useState(workflow.budget_today);
  const [budgetOpen, setBudgetOpen] = useState(false);
  const saveBudget = async (b: Budget) => {
    const w = await editorApi.patchWorkflow(slug, { budget: b });
    setBudget(w.budget);
    setBudgetToday(w.budget_today);
  };

  const [chatOpen, setChatOpen] = useState(false);
  const hasChat = nodes.some((n) => n.data.api.component_type === 'trigger_chat');

  // ---- Selection and the side panel.
  const selectedNodes = nodes.filter((n) => n.selected);
  const selectedNode = selectedNodes.length === 1 ? selectedNodes[0].data.api : null;
  const selCount = selectedNodes.length + edgeSel.size;
  const selSub = useCallback((cb: () => void) => (selectedNode ? flags.subscribe(selectedNode.node_id, cb) : () => undefined), [flags, selectedNode]);
  const selStatus = useSyncExternalStore(selSub, () => (selectedNode ? flags.statusOf(selectedNode.node_id) : 'pending'));
  const deleteSelected = () => void deleteElements(selectedNodes.map((n) => n.id), [...edgeSel].map(Number));

  const deleteOne = useCallback((id: string) => void deleteElements([id], []), [deleteElements]);
  const closePanel = useCallback(() => setNodes((ns) => ns.map((n) => (n.selected ? { ...n, selected: false } : n))), []);
  const graphNodes = useCallback(() => nodesRef.current.map((n) => n.data.api), []);
  const graphEdges = useCallback(() => edgesRef.current, []);

  const webhooks = nodes.map((n) => webhookUrl(n.data.api, window.location.origin)).filter((u): u is string => !!u);

  // ---- Readiness for tests and the benchmark: nodes measured.
  const measured = useNodesInitialized();
  const ready = nodes.length === 0 || measured;

  const pendingSource = pending ? nodesRef.current.find((n) => n.id === pending.source_node_id)?.data.api : undefined;

  return (
    <FlagsContext.Provider value={flags}>
      <div className="editor">
        <div className="editor-toolbar" role="toolbar" aria-label="Workflow">
          <button type="button" onClick={() => void undo()} disabled={!history.canUndo()} title={history.nextUndo() ? `Undo ${history.nextUndo()}` : undefined} aria-keyshortcuts="Control+Z">
            Undo
          </button>
          <button type="button" onClick={() => void redo()} disabled={!history.canRedo()} title={history.nextRedo() ? `Redo ${history.nextRedo()}` : undefined} aria-keyshortcuts="Control+Shift+Z">
            Redo
          </button>
          <button type="button" onClick={deleteSelected} disabled={selCount === 0} aria-keyshortcuts="Delete">
            Delete selected
          </button>
          <span className="sep" />
          <button type="button" onClick={() => void validate()}>
            Validate
          </button>
          <form className="run-form" onSubmit={startRun}>
            <label className="sr-only" htmlFor="run-text">
              Run input text
            </label>
            <input id="run-text" placeholder="Input text (optional)" value={runText} onChange={(e) => setRunText(e.target.value)} />
            <button type="submit" className="primary">
              Run
            </button>
          </form>
          <button type="button" onClick={() => setBudgetOpen((o) => !o)} aria-expanded={budgetOpen}>
            Budget
          </button>
          {hasChat && ChatPanel && (
            <button type="button" onClick={() => setChatOpen((o) => !o)} aria-expanded={chatOpen}>
              Chat
            </button>
          )}
          <span className="editor-live" data-live={liveState} role="status">
            {liveState === 'live' ? 'Live' : liveState === 'polling' ? 'Refreshing every few seconds' : liveState === 'connecting' ? 'Connecting…' : ''}
          </span>
          {execId && (
            <span className="editor-exec" data-testid="execution">
              <Link to={`/executions/${execId}`} data-testid="execution-link">
                Run {execId.slice(0, 8)}
              </Link>{' '}
              <span className={`badge status-${execStatus}`} data-testid="execution-status" data-status={execStatus}>
                {execStatus}
              </span>
            </span>
          )}
        </div>
        {webhooks.length > 0 && (
          <div className="editor-webhooks">
            {webhooks.map((u, i) => (
              <CopyField key={u} label={webhooks.length > 1 ? `Webhook URL ${i + 1}` : 'Webhook URL'} value={u} />
            ))}
          </div>
        )}
        {notice && (notice.error ? (
          <div className="editor-notice" data-testid="editor-error">
            <ErrorNote error={notice.error} />
            <button type="button" className="link" onClick={() => setNotice(null)}>
              Dismiss
            </button>
          </div>
        ) : (
          <div className="editor-notice" role="status">
            {notice.text}
          </div>
        ))}
        {validation && (
          <section className="editor-validation" aria-label="Validation" data-testid="validation" data-valid={validation.valid}>
            {validation.valid ? <p className="ok">The workflow is valid.</p> : (
              <ul>
                {validation.errors.map((m, i) => (
                  <li key={i} className="error">{m}</li>
                ))}
              </ul>
            )}
            <button type="button" className="link" onClick={() => { setValidation(null); flags.setProblems([]); }}>
              Close
            </button>
          </section>
        )}
        {budgetOpen && (
          <div className="editor-popover">
            <BudgetForm budget={budget} today={budgetToday} onSave={saveBudget} onClose={() => setBudgetOpen(false)} />
          </div>
        )}
        <div className="editor-body">
          <Palette types={types} onAdd={addAtCentre} />
          <div className="editor-canvas" ref={canvasRef} data-testid="canvas" data-ready={ready ? 'true' : 'false'} onDragOver={onDragOver} onDrop={onDrop}>
            <ReactFlow<CanvasNode, EditorEdge>
              nodes={canvasNodes}
              edges={edges}
              nodeTypes={nodeTypesMap}
              onNodesChange={onNodesChange}
              onEdgesChange={onEdgesChange}
              onConnect={onConnect}
              onBeforeDelete={onBeforeDelete}
              deleteKeyCode={['Delete', 'Backspace']}
              // An empty workflow starts at scale 1, not zoomed onto its first node.
              fitView={workflow.nodes.length > 0}
              fitViewOptions={{ maxZoom: 1 }}
              defaultViewport={{ x: 40, y: 40, zoom: 1 }}
              minZoom={0.1}
              proOptions={{ hideAttribution: true }}
              aria-label="Workflow canvas"
            >
              <Background />
              <Controls />
              <MiniMap pannable zoomable ariaLabel="Overview of the workflow" />
            </ReactFlow>
          </div>
          {selectedNode && (
            <SidePanel
              node={selectedNode}
              types={types}
              graphNodes={graphNodes}
              graphEdges={graphEdges}
              status={selStatus}
              executionId={execId}
              onSave={saveNode}
              onRename={renameNode}
              onDelete={deleteOne}
              onClose={closePanel}
            />
          )}
          {chatOpen && ChatPanel && (
            <Suspense fallback={null}>
              <ChatPanel slug={slug} onClose={() => setChatOpen(false)} />
            </Suspense>
          )}
        </div>
        {pending && (
          <ConditionDialog
            source={pendingSource}
            onCancel={() => setPending(null)}
            onSubmit={(value) => {
              const body = { ...pending, condition_value: value };
              setPending(null);
              void connectWith(body);
            }}
          />
        )}
      </div>
    </FlagsContext.Provider>
  );
}

// Route values a switch or assertion can take, offered for a new edge.
function routeSuggestions(n: ApiNode | undefined): string[] {
  if (!n) return [];
  if (n.component_type === 'assertion') return ['pass', 'fail'];
  const extra = n.config?.extra_config || {};
  const rules = Array.isArray(extra.rules) ? (extra.rules as { id?: unknown }[]) : [];
  const ids = rules.map((r) => (typeof r.id === 'string' ? r.id : '')).filter(Boolean);
  if (extra.enable_fallback) ids.push('__other__');
  return ids;
}

function ConditionDialog({ source, onSubmit, onCancel }: { source: ApiNode | undefined; onSubmit: (v: string) => void; onCancel: () => void }) {
  const [value, setValue] = useState('');
  const suggestions = routeSuggestions(source);
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => ref.current?.focus(), []);
  const isCond = source && CONDITIONAL_SOURCES.has(source.component_type);
  return (
    <div className="editor-modal" role="dialog" aria-modal="true" aria-labelledby="cond-title" onKeyDown={(e) => e.key === 'Escape' && onCancel()}>
      <form
        className="card"
        onSubmit={(e) => {
          e.preventDefault();
          if (value.trim()) onSubmit(value.trim());
        }}
      >
        <h2 id="cond-title">Route of this connection</h2>
        <p className="muted small">
          {isCond ? `The branch runs when ${source!.node_id} chooses this route.` : 'The branch runs when the route matches.'}
        </p>
        <label htmlFor="cond-value">Condition value</label>
        <input id="cond-value" ref={ref} list="cond-suggestions" value={value} onChange={(e) => setValue(e.target.value)} maxLength={100} required />
        <datalist id="cond-suggestions">
          {suggestions.map((s) => (
            <option key={s} value={s} />
          ))}
        </datalist>
        <div className="side-actions">
          <button type="submit" className="primary">
            Connect
          </button>
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </div>
  );
}
