import { describe, expect, it } from 'vitest';
import { credentialChanges, credentialDetail, credentialSummary, describeInterval, describeTiming, parseHeaderLines, settingsChanges, wallClock, type PlatformConfig } from './admin';
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
