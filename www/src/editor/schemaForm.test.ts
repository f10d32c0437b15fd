// The settings form generated from the real catalogue (captured from
// GET /api/v1/workflows/node-types/ into fixtures/node-types.json).
import { describe, expect, it } from 'vitest';
import type { NodeTypes } from '../api/editor';
import raw from './fixtures/node-types.json';
import { configPatch, FormProblem, formFields, initialValues, schemaFields } from './schemaForm';

const types = raw as unknown as NodeTypes;
const byKey = (fs: ReturnType<typeof formFields>) => Object.fromEntries(fs.map((f) => [f.key, f]));

describe('schemaFields', () => {
  it('reads the webhook trigger object schema: required path, enums, bounds, masked secret', () => {
    const f = byKey(schemaFields(types.trigger_webhook.config_schema));
    expect(f.path).toMatchObject({ kind: 'string', required: true, template: true, area: 'extra_config' });
    expect(f.method).toMatchObject({ kind: 'enum', default: 'POST' });
    expect(f.method.options).toContain('ANY');
    expect(f.signature_tolerance_seconds).toMatchObject({ kind: 'integer', min: 1, max: 86400, default: 300 });
    expect(f.secret.kind).toBe('secret');
    expect(f.mode.options).toEqual(['async', 'sync']);
  });

  it('reads the flat layout of reply_chat', () => {
    const f = schemaFields(types.reply_chat.config_schema);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ key: 'message', kind: 'string', default: '', template: true });
  });

  it('turns an array of objects into a list with item fields, other objects into JSON', () => {
    const deep = byKey(schemaFields(types.deep_agent.config_schema));
    expect(deep.subagents.kind).toBe('list');
    expect(deep.subagents.itemFields?.map((x) => x.key)).toEqual(['name', 'description', 'system_prompt', 'model']);
    expect(deep.subagents.itemFields?.find((x) => x.key === 'name')?.required).toBe(true);
    expect(deep.conversation_memory).toMatchObject({ kind: 'boolean', default: false });
    const http = byKey(schemaFields(types.http_request.config_schema));
    expect(http.headers).toMatchObject({ kind: 'json', jsonShape: 'object' });
    const mem = byKey(schemaFields(types.memory_read.config_schema));
    expect(mem.min_confidence).toMatchObject({ kind: 'number', min: 0, max: 1 });
  });

  it('gives nothing for an empty schema', () => {
    expect(schemaFields(types.trigger_manual.config_schema)).toEqual([]);
  });
});

describe('formFields', () => {
  it('adds the model settings and credential reference to ai_model', () => {
    const f = byKey(formFields(types.ai_model));
    expect(f.llm_credential_id).toMatchObject({ kind: 'credential', credentialType: 'llm', area: 'config' });
    expect(f.model_name.kind).toBe('string');
  });

  it('adds a system prompt to types that need a model', () => {
    expect(byKey(formFields(types.agent)).system_prompt).toMatchObject({ kind: 'text', template: true });
    expect(byKey(formFields(types.switch)).system_prompt).toBeUndefined();
  });

  it('describes the switch rules the catalogue leaves out', () => {
    const f = byKey(formFields(types.switch));
    expect(f.rules.kind).toBe('list');
    expect(f.rules.itemFields?.find((x) => x.key === 'operator')?.options).toContain('matches_regex');
    expect(f.enable_fallback.kind).toBe('boolean');
    expect(byKey(formFields(types.wait)).unit.options).toEqual(['seconds', 'minutes', 'hours']);
  });
});

describe('values and the PATCH body', () => {
  const fields = formFields(types.trigger_webhook);
  const stored = { extra_config: { path: 'hooks/a', secret: '********', custom: 1 } };

  it('starts from the stored values, else the defaults', () => {
    const v = initialValues(fields, stored);
    expect(v['extra_config.path']).toBe('hooks/a');
    expect(v['extra_config.method']).toBe('POST');
  });

  it('keeps keys the form does not show and sends the mask back for an unchanged secret', () => {
    const v = initialValues(fields, stored);
    v['extra_config.max_wait_seconds'] = '12';
    const p = configPatch(fields, v, stored);
    expect(p.extra_config).toMatchObject({ path: 'hooks/a', secret: '********', custom: 1, max_wait_seconds: 12 });
  });

  it('refuses a missing required value, a number out of bounds and bad JSON', () => {
    const v = initialValues(fields, stored);
    v['extra_config.path'] = '';
    expect(() => configPatch(fields, v, stored)).toThrow(FormProblem);
    const v2 = initialValues(fields, stored);
    v2['extra_config.max_wait_seconds'] = 301;
    expect(() => configPatch(fields, v2, stored)).toThrow(/at most 300/);
    const http = formFields(types.http_request);
    const v3 = initialValues(http, {});
    v3['extra_config.headers'] = '{nope';
    expect(() => configPatch(http, v3, {})).toThrow(/not valid JSON/);
  });

  it('keeps a template in a number field as text', () => {
    const wait = formFields(types.wait);
    const v = initialValues(wait, {});
    v['extra_config.duration'] = '{{ trigger.text }}';
    expect(configPatch(wait, v, {}).extra_config).toMatchObject({ duration: '{{ trigger.text }}' });
  });

  it('writes top-level keys outside extra_config', () => {
    const f = formFields(types.ai_model);
    const v = initialValues(f, { model_name: 'm', llm_credential_id: null });
    v['config.llm_credential_id'] = '3';
    v['config.temperature'] = '';
    const p = configPatch(f, v, {});
    expect(p).toMatchObject({ model_name: 'm', llm_credential_id: 3, temperature: null });
  });
});
