// The workflow editor at /workflows/:slug: the node-type catalogue and the
// workflow, then the canvas (www/src/editor/).
import { useEffect } from 'react';
import { Link, useParams } from 'react-router-dom';
import { useQuery } from '@tanstack/react-query';
import { ReactFlowProvider } from '@xyflow/react';
import { editorApi } from '../api/editor';
import { ErrorNote, Loading } from '../ui/kit';
import { EditorCanvas } from '../editor/EditorCanvas';
import { nodeTypesKey, takeWorkflow } from '../editor/prefetch';
import '../editor/editor.css';

export default function Editor() {
  const { slug = '' } = useParams();
  // Both reads were started by the route (editor/prefetch.ts) while this
  // code was downloading.
  const types = useQuery({ queryKey: nodeTypesKey, queryFn: editorApi.nodeTypes, staleTime: Infinity });
  // Loaded once per visit: the canvas keeps its own copy from then on.
  const wf = useQuery({ queryKey: ['workflow-editor', slug], queryFn: () => takeWorkflow(slug, () => editorApi.workflow(slug)), staleTime: Infinity, gcTime: 0 });
  const name = wf.data?.name ?? slug;
  useEffect(() => {
    document.title = `${name} · Pipelit`;
  }, [name]);
  return (
    <section className="page wide editor-page" aria-labelledby="page-title">
      <header className="page-head editor-head">
        <h1 id="page-title">{name}</h1>
        <Link to="/">All workflows</Link>
      </header>
      <ErrorNote error={types.error || wf.error} />
      {(types.isPending || wf.isPending) && !(types.error || wf.error) && <Loading what="Loading the workflow" />}
      {types.data && wf.data && (
        <ReactFlowProvider>
          <EditorCanvas key={slug} workflow={wf.data} types={types.data} />
        </ReactFlowProvider>
      )}
    </section>
  );
}
