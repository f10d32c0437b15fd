// The routes. Every page but login and setup is loaded on demand, so the
// login page does not download the editor.
import { lazy, Suspense, useEffect, useMemo } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useNavigate, useParams } from 'react-router-dom';
import { QueryClient, QueryClientProvider, useQueryClient } from '@tanstack/react-query';
import { ApiError, setUnauthorizedHandler } from '../api/client';
import { RequireAdmin, RequireAuth, loginPath } from './auth';
import { Layout } from './Layout';
import { Login } from '../pages/Login';
import { Setup } from '../pages/Setup';
import { Loading } from '../ui/kit';
import { prefetchEditor } from '../editor/prefetch';

const Dashboard = lazy(() => import('../pages/Dashboard'));
const Editor = lazy(() => import('../pages/Editor'));
const Executions = lazy(() => import('../pages/Executions'));
const ExecutionDetail = lazy(() => import('../pages/ExecutionDetail'));
const Credentials = lazy(() => import('../pages/Credentials'));
const Schedules = lazy(() => import('../pages/Schedules'));
const Workspaces = lazy(() => import('../pages/Workspaces'));
const Account = lazy(() => import('../pages/Account'));
const Memory = lazy(() => import('../pages/Memory'));
const Users = lazy(() => import('../pages/Users'));
const Settings = lazy(() => import('../pages/Settings'));

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A refusal will not change on its own; a busy server may.
      retry: (n, e) => n < 2 && e instanceof ApiError && (e.status === 0 || e.status >= 500),
      refetchOnWindowFocus: false,
    },
  },
});

// A 401 anywhere: to the login page, which brings the user back here.
function UnauthorizedRedirect() {
  const navigate = useNavigate();
  useEffect(() => {
    setUnauthorizedHandler(() => {
      queryClient.clear();
      navigate(loginPath(window.location), { replace: true });
    });
    return () => setUnauthorizedHandler(null);
  }, [navigate]);
  return null;
}

function Authed({ children, admin }: { children: JSX.Element; admin?: boolean }) {
  return (
    <RequireAuth>
      <Layout>
        <Suspense fallback={<Loading />}>{admin ? <RequireAdmin>{children}</RequireAdmin> : children}</Suspense>
      </Layout>
    </RequireAuth>
  );
}

// The editor's route starts its data reads before the editor's code has
// arrived (the lazy chunk suspends below this component, not above it);
// once per workflow shown, not on every change of the location.
function EditorRoute() {
  const { slug = '' } = useParams();
  const qc = useQueryClient();
  useMemo(() => prefetchEditor(qc, slug), [qc, slug]);
  return <Editor />;
}

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <UnauthorizedRedirect />
        <Routes>
          <Route path="/login" element={<Login />} />
          <Route path="/setup" element={<Setup />} />
          <Route path="/" element={<Authed><Dashboard /></Authed>} />
          <Route path="/workflows/:slug" element={<Authed><EditorRoute /></Authed>} />
          <Route path="/executions" element={<Authed><Executions /></Authed>} />
          <Route path="/executions/:id" element={<Authed><ExecutionDetail /></Authed>} />
          <Route path="/credentials" element={<Authed><Credentials /></Authed>} />
          <Route path="/schedules" element={<Authed><Schedules /></Authed>} />
          <Route path="/workspaces" element={<Authed><Workspaces /></Authed>} />
          <Route path="/account" element={<Authed><Account /></Authed>} />
          <Route path="/admin/memory" element={<Authed admin><Memory /></Authed>} />
          <Route path="/admin/users" element={<Authed admin><Users /></Authed>} />
          <Route path="/admin/settings" element={<Authed admin><Settings /></Authed>} />
          <Route path="*" element={<Navigate to="/" replace />} />
        </Routes>
      </BrowserRouter>
    </QueryClientProvider>
  );
}
