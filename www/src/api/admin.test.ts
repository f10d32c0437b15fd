import { describe, expect, it } from 'vitest';
import { credentialChanges, credentialDetail, credentialSummary, describeInterval, describeTiming, intervalParts, parseHeaderLines, scheduleChanges, settingsChanges, variablesBody, wallClock, type PlatformConfig } from './admin';
import { expiryToIso, keysPath } from './account';
import { qrPath } from '../account/QrCode';
import { groupSecret } from '../account/MfaPanel';

describe('credential forms', () => {
  it('leaves empty fields out so the server defaults hold', () => {
    expect(credentialDetail('llm', { provider_type: 'openai_compatible', base_url: ' http://127.0.0.1:9/v1 ', api_key: 'sk-1234567890abcdef', organization_id: '' })).toEqual({
      provider_type: 'openai_compatible',
      base_url: 'http://127.0.0.1:9/v1',
      api_key: 'sk-1234567890abcdef',
    });
  });
  it('builds a SearXNG tool config from its address', () => {
    expect(credentialDetail('tool', { tool_type: 'searxng', url: 'http://127.0.0.1:8888', is_preferred: true })).toEqual({
      tool_type: 'searxng',
      config: { url: 'http://127.0.0.1:8888' },
      is_preferred: true,
    });
  });
  it('refuses a tool configuration that is not JSON', () => {
    expect(() => credentialDetail('tool', { tool_type: 'api', config: '{nope' })).toThrow();
  });
  it('reads header lines and names the first bad one', () => {
    expect(parseHeaderLines('X-A: 1\n\n  X-B :two words ')).toEqual({ headers: { 'X-A': '1', 'X-B': 'two words' }, bad: null });
    expect(parseHeaderLines('X-A: 1\nnonsense').bad).toBe('nonsense');
  });
  it('changes only what changed, and a new address only with the key', () => {
    const c = { id: 1, name: 'm', credential_type: 'llm' as const, detail: { base_url: 'http://a/v1', api_key: '****abcd' }, created_at: '', updated_at: '' };
    expect(credentialChanges(c, { name: 'm', base_url: 'http://a/v1', api_key: '' })).toEqual({ body: {}, problem: null });
    expect(credentialChanges(c, { name: 'n', base_url: 'http://b/v1', api_key: '' }).problem).toMatch(/needs the API key again/);
    expect(credentialChanges(c, { name: 'm', base_url: 'http://b/v1', api_key: 'sk-new' }).body).toEqual({ detail: { base_url: 'http://b/v1', api_key: 'sk-new' } });
    const t = { id: 2, name: 's', credential_type: 'tool' as const, detail: { tool_type: 'searxng', config: { url: 'http://x' } }, created_at: '', updated_at: '' };
    expect(credentialChanges(t, { name: 's', url: 'http://y' }).body).toEqual({ detail: { config: { url: 'http://y' } } });
  });
  it('summarises without secrets', () => {
    const s = credentialSummary({ id: 1, name: 'x', credential_type: 'llm', detail: { provider_type: 'anthropic', api_key: '****cdef', base_url: '' }, created_at: '', updated_at: '' });
    expect(s).toBe('anthropic');
  });
});

describe('schedules', () => {
  it('says an interval in its largest whole unit', () => {
    expect(describeInterval(300)).toBe('every 5 minutes');
    expect(describeInterval(3600)).toBe('every hour');
    expect(describeInterval(90)).toBe('every 90 seconds');
    expect(describeInterval(172800)).toBe('every 2 days');
  });
  it('says a cron schedule with its zone', () => {
    expect(describeTiming({ cron: '0 9 * * 1-5', timezone: 'Europe/Paris', interval_seconds: null })).toBe('cron 0 9 * * 1-5 (Europe/Paris)');
    expect(describeTiming({ cron: '@daily', timezone: null, interval_seconds: null })).toBe('cron @daily (UTC)');
  });
});

describe('schedule times', () => {
  it('reads the zone\'s wall clock from what the server wrote', () => {
    expect(wallClock('2027-03-28T03:00:00+02:00')).toBe('2027-03-28 03:00 (+02:00)');
    expect(wallClock('2027-01-01T09:30:00Z')).toBe('2027-01-01 09:30 (UTC)');
    expect(wallClock('soon')).toBe('soon');
  });
});

describe('settings', () => {
  const config: PlatformConfig = {
    pipelit_dir: '/d',
    database_url: 'sqlite',
    log_level: 'INFO',
    zombie_execution_threshold_seconds: 900,
    cors_allow_all_origins: false,
    log_file: '',
    sandbox_mode: 'auto',
    redis_url: '',
    platform_base_url: '',
  };
  it('sends only what differs, and null to give a field back', () => {
    expect(settingsChanges(config, { log_level: 'INFO', cors_allow_all_origins: true, redis_url: null })).toEqual({ cors_allow_all_origins: true, redis_url: null });
    expect(settingsChanges(config, {})).toEqual({});
  });
});

describe('account', () => {
  it('turns a local expiry into an instant, and empty into none', () => {
    expect(expiryToIso('')).toBeNull();
    expect(expiryToIso('2031-02-03T04:05')).toMatch(/^2031-02-0[23]T\d\d:05:00\.000Z$/);
  });
  it('knows whose keys', () => {
    expect(keysPath('me')).toBe('/users/me/keys');
    expect(keysPath(7)).toBe('/users/7/keys');
  });
  it('draws a QR code with its quiet zone', () => {
    const { d, size } = qrPath('otpauth://totp/Pipelit:alice?secret=JBSWY3DPEHPK3PXP&issuer=Pipelit');
    expect(size).toBeGreaterThanOrEqual(21 + 8);
    expect(d.startsWith('M')).toBe(true);
    // The top-left finder pattern's corner module is dark, at the quiet zone's edge.
    expect(d).toContain('M4 4h1v1h-1z');
  });
  it('groups a secret for typing', () => {
    expect(groupSecret('JBSWY3DPEHPK3PXP')).toBe('JBSW Y3DP EHPK 3PXP');
  });
});

describe('changes after creation', () => {
  const was = { key: 'TOKEN', value: '****1234', credential_id: null, credential_field: null, source: 'raw' };
  it('sends a stored variable back as answered when its value is left empty', () => {
    const out = variablesBody([{ key: 'TOKEN', value: '', was }, { key: ' REGION ', value: 'eu' }, { key: '', value: '' }]);
    expect(out.problem).toBeNull();
    expect(out.env_vars).toEqual([was, { key: 'REGION', value: 'eu', credential_id: null, credential_field: null, source: 'raw' }]);
  });
  it('asks for the value again when a stored variable is renamed', () => {
    expect(variablesBody([{ key: 'TOKEN2', value: '', was }]).problem).toMatch(/TOKEN2/);
    expect(variablesBody([{ key: 'TOKEN2', value: 'new', was }]).env_vars[0].value).toBe('new');
  });
  it('shows an interval in its largest whole unit', () => {
    expect(intervalParts(600)).toEqual({ every: '10', unit: '60' });
    expect(intervalParts(90)).toEqual({ every: '90', unit: '1' });
    expect(intervalParts(172800)).toEqual({ every: '2', unit: '86400' });
  });
  const s = {
    id: 's1', name: 'sync', description: '', workflow_id: 1, trigger_node_id: null, interval_seconds: 600, cron: null, timezone: null,
    total_repeats: 0, current_repeat: 0, max_retries: 3, current_retry: 0, timeout_seconds: 3600, trigger_payload: null,
    missed_runs: 'skip' as const, catch_up_limit: 10, status: 'active' as const, run_count: 0, error_count: 0, last_error: '',
    last_run_at: null, next_run_at: null, created_at: null,
  };
  it('patches only what changed in a schedule', () => {
    expect(scheduleChanges(s, { name: 'sync', interval_seconds: 600, total_repeats: 0, missed_runs: 'skip', trigger_payload: null })).toEqual({});
    expect(scheduleChanges(s, { name: 'sync', interval_seconds: 60, trigger_payload: { a: 1 } })).toEqual({ interval_seconds: 60, trigger_payload: { a: 1 } });
  });
  it('turns an interval schedule into a cron one and back', () => {
    expect(scheduleChanges(s, { name: 'sync', cron: '30 2 * * *', timezone: 'Europe/Paris' })).toEqual({ cron: '30 2 * * *', timezone: 'Europe/Paris' });
    const c = { ...s, interval_seconds: null, cron: '30 2 * * *', timezone: 'UTC' };
    expect(scheduleChanges(c, { name: 'sync', interval_seconds: 300 })).toEqual({ cron: null, interval_seconds: 300 });
    expect(scheduleChanges(c, { name: 'sync', cron: '30 2 * * *', timezone: 'Europe/Paris' })).toEqual({ timezone: 'Europe/Paris' });
  });
});
