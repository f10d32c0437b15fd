// Shapes shared by several pages. A page's own shapes live next to its
// queries (api/<area>.ts); doc/api.md is the reference for all of them.
export interface List<T> {
  items: T[];
  total: number;
}

export interface User {
  id: number;
  username: string;
  first_name: string;
  last_name: string;
  role: 'admin' | 'normal';
  mfa_enabled: boolean;
  key_count: number;
  created_at: string;
}
