// Platform settings (admin): each value with where it comes from, saved
// all at once (the server stores all or nothing), the fields that need a
// restart named, and the host's environment probe.
import { useEffect, useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import {
  settingsChanges,
  useRecheckEnvironment,
  useSettings,
  useUpdateSettings,
  type EnvironmentInfo,
  type PlatformConfig,
  type SettingField,
  type SettingSource,
  type SettingValue,
  type SettingsPatchOut,
} from '../api/admin';
import { ErrorNote, Field, Loading, Page } from '../ui/kit';
import '../admin/admin.css';

const SOURCE_WORDS: Record<SettingSource, string> = { database: 'set here', environment: 'from the environment', default: 'default' };
const LABELS: Record<SettingField, string> = {
  log_level: 'Log level',
  zombie_execution_threshold_seconds: 'Stalled job timeout (seconds)',
  cors_allow_all_origins: 'Allow every origin (CORS)',
  log_file: 'Log file',
  sandbox_mode: 'Sandbox',
  redis_url: 'Redis URL',
  platform_base_url: 'Public address of this installation',
};
const HINTS: Partial<Record<SettingField, string>> = {
  log_level: 'Applies within 2 seconds in every process.',
  zombie_execution_threshold_seconds: 'How long a job may go without a sign of life before another executor takes it over. Applies within 2 seconds.',
  cors_allow_all_origins: 'Applies at the next start.',
  log_file: 'An absolute path, or empty for standard error. Applies at the next start.',
  sandbox_mode: 'Applies at the next start.',
  redis_url: 'Kept for Pipelit clients; nothing here uses it. No password (put one in REDIS_URL instead). Applies at the next start.',
  platform_base_url: 'http:// or https://, or empty. Applies at the next start.',
};

function Source({ s }: { s: SettingSource }) {
  return <span className={`source source-${s}`}>{SOURCE_WORDS[s]}</span>;
}

function Environment({ env }: { env: EnvironmentInfo }) {
  const recheck = useRecheckEnvironment();
  const e = recheck.data?.environment ?? env;
  return (
    <section className="card section" aria-labelledby="env-title">
      <h2 id="env-title">This host</h2>
      <dl className="kv">
        <dt>System</dt>
        <dd>
          {e.os} on {e.arch}
          {e.container ? `, in a container (${e.container})` : ''}
        </dd>
        <dt>Sandbox</dt>
        <dd>
          {e.sandbox_mode === 'none' ? 'none available' : e.sandbox_mode}; bubblewrap {e.bwrap_available ? 'found' : 'not found'}; root file system {e.rootfs_ready ? 'ready' : 'not prepared'}
        </dd>
        <dt>Basic tools</dt>
        <dd>{e.tier1_met ? 'all present' : 'some missing'}</dd>
        <dt>Optional tools missing</dt>
        <dd>{e.tier2_warnings.length ? e.tier2_warnings.join(', ') : 'none'}</dd>
      </dl>
      <div className="form-actions">
        <button type="button" onClick={() => recheck.mutate()} disabled={recheck.isPending}>
          Check again
        </button>
        {recheck.isSuccess && (
          <span className="ok" role="status">
            Checked just now.
          </span>
        )}
      </div>
      <ErrorNote error={recheck.error} />
    </section>
  );
}

function Outcome({ out }: { out: SettingsPatchOut }) {
  if (!out.hot_reloaded.length && !out.restart_required.length) return <p className="muted" role="status">Nothing changed.</p>;
  return (
    <div className="note good" role="status">
      {out.hot_reloaded.length > 0 && <p>In force within 2 seconds everywhere: {out.hot_reloaded.map((f) => LABELS[f as SettingField] ?? f).join(', ')}.</p>}
      {out.restart_required.length > 0 && (
        <p className="warn-text">
          Saved, but in force only after Pipelit is restarted (<code>pipelit restart</code>, or <code>scripts/start.sh restart</code>): {out.restart_required.map((f) => LABELS[f as SettingField] ?? f).join(', ')}.
        </p>
      )}
    </div>
  );
}

export default function Settings() {
  const settings = useSettings();
  const update = useUpdateSettings();
  const [edited, setEdited] = useState<Partial<Record<SettingField, SettingValue>>>({});
  const [outcome, setOutcome] = useState<SettingsPatchOut | null>(null);
  const config = settings.data?.config;
  useEffect(() => setEdited({}), [settings.data?.revision]);

  if (settings.isLoading) return <Loading />;
  if (!settings.data || !config) return <ErrorNote error={settings.error} />;
  const sources = settings.data.sources;

  const value = <K extends SettingField>(k: K): PlatformConfig[K] => (k in edited && edited[k] !== null ? (edited[k] as PlatformConfig[K]) : config[k]);
  const set = (k: SettingField, v: SettingValue) => {
    setOutcome(null);
    setEdited({ ...edited, [k]: v });
  };
  const changes = settingsChanges(config, edited);
  const problems = update.error instanceof ApiError ? update.error.fieldProblems() : {};

  const submit = (e: FormEvent) => {
    e.preventDefault();
    update.mutate(changes, { onSuccess: (out) => setOutcome(out) });
  };

  const row = (k: SettingField, control: (id: string, d: string | undefined) => JSX.Element) => (
    <div className="setting" key={k}>
      <Field label={LABELS[k]} hint={HINTS[k]} problem={problems[k]}>
        {control}
      </Field>
      <div className="row">
        <Source s={edited[k] === null ? 'environment' : sources[k]} />
        {sources[k] === 'database' && edited[k] !== null && (
          <button type="button" className="link" onClick={() => set(k, null)} aria-label={`Give ${LABELS[k]} back to the environment`}>
            use the environment's value
          </button>
        )}
        {edited[k] === null && <span className="muted">(the environment's value after saving)</span>}
      </div>
    </div>
  );

  return (
    <Page title="Settings">
      <form className="card form section" onSubmit={submit} aria-label="Platform settings">
        <p className="muted">
          Stored in the database, so every Pipelit process on it uses the same values. A value set here wins over the environment (<code>.env</code>); each field says where its value comes from now.
        </p>
        <div className="form-grid">
          {row('log_level', (id, d) => (
            <select id={id} value={value('log_level')} onChange={(e) => set('log_level', e.target.value)} aria-describedby={d}>
              {['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'].map((l) => (
                <option key={l}>{l}</option>
              ))}
            </select>
          ))}
          {row('zombie_execution_threshold_seconds', (id, d) => (
            <input
              id={id}
              type="number"
              min={1}
              value={String(value('zombie_execution_threshold_seconds'))}
              onChange={(e) => set('zombie_execution_threshold_seconds', e.target.value === '' ? '' : Number(e.target.value))}
              aria-describedby={d}
            />
          ))}
          {row('cors_allow_all_origins', (id, d) => (
            <span className="check">
              <input id={id} type="checkbox" checked={!!value('cors_allow_all_origins')} onChange={(e) => set('cors_allow_all_origins', e.target.checked)} aria-describedby={d} /> allowed
            </span>
          ))}
          {row('sandbox_mode', (id, d) => (
            <select id={id} value={value('sandbox_mode')} onChange={(e) => set('sandbox_mode', e.target.value)} aria-describedby={d}>
              <option value="auto">Automatic</option>
              <option value="bwrap">Bubblewrap</option>
              <option value="container">Container</option>
            </select>
          ))}
          {row('log_file', (id, d) => (
            <input id={id} className="mono" value={value('log_file')} onChange={(e) => set('log_file', e.target.value)} aria-describedby={d} spellCheck={false} />
          ))}
          {row('platform_base_url', (id, d) => (
            <input id={id} className="mono" value={value('platform_base_url')} onChange={(e) => set('platform_base_url', e.target.value)} aria-describedby={d} spellCheck={false} />
          ))}
          {row('redis_url', (id, d) => (
            <input id={id} className="mono" value={value('redis_url')} onChange={(e) => set('redis_url', e.target.value)} aria-describedby={d} spellCheck={false} />
          ))}
        </div>
        <h2>Set in the environment only</h2>
        <dl className="kv">
          <dt>Data directory</dt>
          <dd className="mono">
            {config.pipelit_dir} <Source s={sources.pipelit_dir} />
          </dd>
          <dt>Database</dt>
          <dd className="mono">
            {config.database_url} <Source s={sources.database_url} />
          </dd>
        </dl>
        {update.error && !Object.keys(problems).length && <ErrorNote error={update.error} />}
        {Object.keys(problems).length > 0 && (
          <p className="error" role="alert">
            Nothing was saved: fix the fields marked above.
          </p>
        )}
        {outcome && <Outcome out={outcome} />}
        <div className="form-actions">
          <button type="submit" className="primary" disabled={update.isPending || Object.keys(changes).length === 0}>
            Save changes
          </button>
          <button type="button" disabled={Object.keys(edited).length === 0} onClick={() => { setEdited({}); update.reset(); }}>
            Undo changes
          </button>
          <span className="muted">Revision {settings.data.revision}</span>
        </div>
      </form>
      <Environment env={settings.data.environment} />
    </Page>
  );
}
