// The frame around every signed-in page: navigation, theme, logout.
import { useState, type ReactNode } from 'react';
import { NavLink, useNavigate } from 'react-router-dom';
import { useQueryClient } from '@tanstack/react-query';
import { post } from '../api/client';
import { setSessionKey } from '../api/session';
import { useMe } from './auth';
import { applyTheme, savedTheme, type Theme } from './theme';

const LINKS: [string, string][] = [
  ['/', 'Workflows'],
  ['/executions', 'Executions'],
  ['/credentials', 'Credentials'],
  ['/schedules', 'Schedules'],
  ['/workspaces', 'Workspaces'],
];
const ADMIN_LINKS: [string, string][] = [
  ['/admin/memory', 'Memory'],
  ['/admin/users', 'Users'],
  ['/admin/settings', 'Settings'],
];

export function Layout({ children }: { children: ReactNode }) {
  const me = useMe();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [theme, setTheme] = useState<Theme>(savedTheme());

  const logout = async () => {
    try {
      await post('/auth/logout/');
    } catch {
      /* the key is forgotten here either way */
    }
    setSessionKey(null);
    qc.clear();
    navigate('/login', { replace: true });
  };

  const links = me.data?.role === 'admin' ? [...LINKS, ...ADMIN_LINKS] : LINKS;
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Pipelit</span>
        <nav aria-label="Main">
          <ul>
            {links.map(([to, label]) => (
              <li key={to}>
                <NavLink to={to} end={to === '/'}>
                  {label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="topbar-end">
          <label className="theme-pick">
            <span className="sr-only">Theme</span>
            <select
              value={theme}
              onChange={(e) => {
                const t = e.target.value as Theme;
                setTheme(t);
                applyTheme(t);
              }}
            >
              <option value="system">System theme</option>
              <option value="light">Light</option>
              <option value="dark">Dark</option>
            </select>
          </label>
          <NavLink to="/account">{me.data?.username ?? 'Account'}</NavLink>
          <button type="button" className="link" onClick={logout}>
            Log out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
