// Light or dark: the user's choice, else the system's. The stylesheet knows
// one attribute, data-theme="light|dark" on <html>, so its dark palette is
// written once; following the system is done here, from the same media
// query a stylesheet would use, and kept up when the system changes.
const KEY = 'pipelit.theme';
export type Theme = 'light' | 'dark' | 'system';

export function savedTheme(): Theme {
  try {
    const t = localStorage.getItem(KEY);
    return t === 'light' || t === 'dark' ? t : 'system';
  } catch {
    return 'system';
  }
}

// What the page shows for a choice, given whether the system prefers dark.
export function effectiveTheme(t: Theme, systemDark: boolean): 'light' | 'dark' {
  return t === 'system' ? (systemDark ? 'dark' : 'light') : t;
}

function systemDarkQuery(): MediaQueryList | null {
  return typeof window.matchMedia === 'function' ? window.matchMedia('(prefers-color-scheme: dark)') : null;
}

// The listener that keeps "system" up to date, while that is the choice.
let unfollow: (() => void) | null = null;

export function applyTheme(t: Theme): void {
  const root = document.documentElement;
  const query = systemDarkQuery();
  const show = () => root.setAttribute('data-theme', effectiveTheme(t, query?.matches ?? false));
  unfollow?.();
  unfollow = null;
  show();
  if (t === 'system' && query) {
    query.addEventListener('change', show);
    unfollow = () => query.removeEventListener('change', show);
  }
  try {
    if (t === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, t);
  } catch {
    /* not kept: fine */
  }
}
