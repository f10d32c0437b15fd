// The signed-in session: the API key the login answered, kept in
// localStorage so a reload stays signed in. Nothing else of the user's is
// stored in the browser.
const KEY = 'pipelit.key';

type Listener = (key: string | null) => void;
const listeners = new Set<Listener>();

export function sessionKey(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function setSessionKey(key: string | null): void {
  try {
    if (key) localStorage.setItem(KEY, key);
    else localStorage.removeItem(KEY);
  } catch {
    /* storage refused (private mode): the session lasts this page only */
  }
  listeners.forEach((l) => l(key));
}

export function onSessionChange(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}
