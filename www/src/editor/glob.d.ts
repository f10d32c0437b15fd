// Vite's import.meta.glob, used to load an optional module only when it exists.
interface ImportMeta {
  glob<T = unknown>(pattern: string): Record<string, () => Promise<T>>;
}
