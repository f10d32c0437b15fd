// From a node type's description to the fields of its settings form, and
// between a node's stored config and the form's values. Pure: no React, no
// fetches, so it is tested on the real catalogue (fixtures/node-types.json).
//
// The catalogue's config_schema comes in three layouts: {} (nothing
// described), an object schema ({type: "object", properties, required}),
// or a flat map {name: {type, description, default}} (reply_chat). The
// described fields live in the node's config.extra_config. The common
// config keys (system prompt, model, credential) are added from the type's
// flags. Types the catalogue leaves undescribed but whose extra_config
// doc/nodes.md defines get those fields from KNOWN_FIELDS below.
import type { ComponentConfig, NodeTypeSpec } from '../api/editor';

export type FieldKind =
  | 'string'
  | 'text'
  | 'number'
  | 'integer'
  | 'boolean'
  | 'enum'
  | 'secret'
  | 'credential'
  | 'json'
  | 'list';

export interface FieldDescriptor {
  // Where the value lives: 'extra_config' or a top-level config key.
  area: 'extra_config' | 'config';
  key: string;
  label: string;
  kind: FieldKind;
  required: boolean;
  description: string;
  default: unknown;
  // enum
  options?: string[];
  // number / integer
  min?: number;
  max?: number;
  // Rendered as a template at run time ({{ node.port }} completions).
  template?: boolean;
  // credential: which credential_type to offer.
  credentialType?: string;
  // list: the fields of each item (itself an object schema).
  itemFields?: FieldDescriptor[];
  // json: 'object' or 'array', what the parsed value must be.
  jsonShape?: 'object' | 'array';
}

type Schema = Record<string, unknown>;

const isObj = (v: unknown): v is Schema => !!v && typeof v === 'object' && !Array.isArray(v);

// "signature_tolerance_seconds" -> "Signature tolerance seconds"
export function humanize(key: string): string {
  const s = key.replace(/_/g, ' ').trim();
  return s ? s[0].toUpperCase() + s.slice(1) : key;
}

function looksSecret(key: string, description: string): boolean {
  return /(^|_)(secret|password|token|api_key)$/.test(key) || /stored encrypted|shown masked/i.test(description);
}

// One property of an object schema as a field.
export function fieldFromSchema(key: string, s: Schema, required: boolean, area: FieldDescriptor['area']): FieldDescriptor {
  const description = typeof s.description === 'string' ? s.description : '';
  const base = { area, key, label: humanize(key), required, description, default: s.default };
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  if (Array.isArray(s.enum)) return { ...base, kind: 'enum', options: s.enum.map(String) };
  if (/credential_id$/.test(key)) {
    return { ...base, kind: 'credential', credentialType: key.startsWith('llm_') ? 'llm' : undefined };
  }
  switch (type) {
    case 'boolean':
      return { ...base, kind: 'boolean' };
    case 'integer':
    case 'number':
      return {
        ...base,
        kind: type,
        min: typeof s.minimum === 'number' ? s.minimum : undefined,
        max: typeof s.maximum === 'number' ? s.maximum : undefined,
      };
    case 'array': {
      const items = isObj(s.items) ? s.items : null;
      if (items && items.type === 'object' && isObj(items.properties)) {
        return { ...base, kind: 'list', itemFields: objectFields(items, area) };
      }
      return { ...base, kind: 'json', jsonShape: 'array' };
    }
    case 'object':
      return { ...base, kind: 'json', jsonShape: 'object' };
    default:
      if (looksSecret(key, description)) return { ...base, kind: 'secret' };
      // Every string in extra_config is a template (doc/expressions.md).
      return { ...base, kind: 'string', template: area === 'extra_config' };
  }
}

function objectFields(schema: Schema, area: FieldDescriptor['area']): FieldDescriptor[] {
  const props = isObj(schema.properties) ? schema.properties : {};
  const req = Array.isArray(schema.required) ? schema.required.map(String) : [];
  return Object.entries(props)
    .filter(([, v]) => isObj(v))
    .map(([k, v]) => fieldFromSchema(k, v as Schema, req.includes(k), area));
}

// The fields config_schema describes, whatever its layout.
export function schemaFields(configSchema: Schema): FieldDescriptor[] {
  if (!isObj(configSchema) || Object.keys(configSchema).length === 0) return [];
  if (configSchema.type === 'object' && isObj(configSchema.properties)) return objectFields(configSchema, 'extra_config');
  // The flat layout: every value is a field's schema.
  return Object.entries(configSchema)
    .filter(([, v]) => isObj(v) && typeof (v as Schema).type === 'string')
    .map(([k, v]) => fieldFromSchema(k, v as Schema, false, 'extra_config'));
}

// A rule of switch, assertion and filter (doc/nodes.md "Rules and operators").
const RULE_OPERATORS = [
  'equals', 'not_equals', 'contains', 'not_contains', 'starts_with', 'not_starts_with', 'ends_with',
  'not_ends_with', 'matches_regex', 'not_matches_regex', 'gt', 'lt', 'gte', 'lte', 'after', 'before',
  'after_or_equal', 'before_or_equal', 'exists', 'does_not_exist', 'is_empty', 'is_not_empty',
  'is_true', 'is_false', 'length_eq', 'length_neq', 'length_gt', 'length_lt', 'length_gte', 'length_lte',
];
const RULES: Schema = {
  type: 'array',
  description: 'Checked in order; a rule is a field (a state path such as trigger.text or node_outputs.cat_1.category), an operator and a value.',
  default: [],
  items: {
    type: 'object',
    properties: {
      id: { type: 'string', description: 'Route name when this rule matches' },
      field: { type: 'string' },
      operator: { type: 'string', enum: RULE_OPERATORS, default: 'equals' },
      value: { type: 'string', default: '' },
    },
    required: ['id', 'field', 'operator'],
  },
};

// extra_config of the kinds the catalogue leaves undescribed (doc/nodes.md).
export const KNOWN_FIELDS: Record<string, Schema> = {
  switch: {
    type: 'object',
    properties: {
      rules: RULES,
      enable_fallback: { type: 'boolean', default: false, description: 'Route "__other__" when no rule matches' },
    },
  },
  assertion: { type: 'object', properties: { rules: { ...RULES, description: 'Every rule is checked; the route is pass or fail.' } } },
  filter: {
    type: 'object',
    properties: {
      source_node: { type: 'string', description: 'Node whose output is the list (else state.output)' },
      field: { type: 'string', description: 'Key of that output holding the list' },
      rules: RULES,
    },
  },
  wait: {
    type: 'object',
    properties: {
      duration: { type: 'number', default: 0, minimum: 0, description: 'How long to wait before the next nodes run' },
      unit: { type: 'string', enum: ['seconds', 'minutes', 'hours'], default: 'seconds' },
    },
  },
  merge: {
    type: 'object',
    properties: {
      mode: { type: 'string', enum: ['append', 'combine'], default: 'append' },
      source_nodes: { type: 'array', default: [], description: 'Node ids to merge, in order (empty: every output)' },
    },
  },
  loop: {
    type: 'object',
    properties: {
      source_node: { type: 'string', description: 'Node whose output holds the items' },
      field: { type: 'string', description: 'Key of that output (empty: the whole output)' },
      on_error: { type: 'string', enum: ['stop', 'continue'], default: 'stop' },
    },
  },
  router: {
    type: 'object',
    properties: {
      condition_field: { type: 'string', description: 'State key whose value is the route (default route)' },
      condition_expression: { type: 'string', description: "A state path, or path == 'value'" },
    },
  },
  human_confirmation: {
    type: 'object',
    properties: { prompt: { type: 'string', default: 'Please confirm to proceed.', description: 'Question shown to whoever confirms' } },
  },
};

// The top-level config keys a type uses, by its flags.
function commonFields(spec: NodeTypeSpec): FieldDescriptor[] {
  const out: FieldDescriptor[] = [];
  const f = (key: string, kind: FieldKind, description: string, extra: Partial<FieldDescriptor> = {}): FieldDescriptor => ({
    area: 'config', key, label: humanize(key), kind, required: false, description, default: undefined, ...extra,
  });
  if (spec.requires_model || spec.component_type === 'reply_chat') {
    out.push(f('system_prompt', 'text', spec.component_type === 'reply_chat' ? 'The message sent back' : 'Instructions for the model', { template: true }));
  }
  if (spec.component_type === 'ai_model') {
    out.push(f('llm_credential_id', 'credential', 'The provider credential the model is called with', { credentialType: 'llm', label: 'LLM credential' }));
    out.push(f('model_name', 'string', 'The provider\'s model name'));
    out.push(f('temperature', 'number', '', { min: 0, max: 2 }));
    out.push(f('max_tokens', 'integer', 'Longest answer, in tokens', { min: 1 }));
  }
  return out;
}

// Every field of a node of this type's form.
export function formFields(spec: NodeTypeSpec): FieldDescriptor[] {
  let described = schemaFields(spec.config_schema);
  if (described.length === 0 && KNOWN_FIELDS[spec.component_type]) described = schemaFields(KNOWN_FIELDS[spec.component_type]);
  return [...commonFields(spec), ...described];
}

export type FormValues = Record<string, unknown>;

const fieldId = (f: FieldDescriptor) => `${f.area}.${f.key}`;
export { fieldId };

// The form's starting values: what is stored, else the default.
export function initialValues(fields: FieldDescriptor[], config: Partial<ComponentConfig>): FormValues {
  const extra = isObj(config.extra_config) ? config.extra_config : {};
  const out: FormValues = {};
  for (const f of fields) {
    const stored = f.area === 'extra_config' ? extra[f.key] : (config as Record<string, unknown>)[f.key];
    out[fieldId(f)] = stored !== undefined ? stored : f.default;
  }
  return out;
}

export class FormProblem extends Error {
  field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

function coerce(f: FieldDescriptor, v: unknown): unknown {
  if (v === undefined) return undefined;
  switch (f.kind) {
    case 'number':
    case 'integer': {
      if (v === '' || v === null) return null;
      const n = typeof v === 'number' ? v : Number(v);
      if (!Number.isFinite(n) || (f.kind === 'integer' && !Number.isInteger(n))) {
        // A template ({{ ... }}) is only known at run time: kept as text.
        if (typeof v === 'string' && v.includes('{{')) return v;
        throw new FormProblem(fieldId(f), `${f.label} must be ${f.kind === 'integer' ? 'a whole number' : 'a number'}.`);
      }
      if (f.min !== undefined && n < f.min) throw new FormProblem(fieldId(f), `${f.label} must be at least ${f.min}.`);
      if (f.max !== undefined && n > f.max) throw new FormProblem(fieldId(f), `${f.label} must be at most ${f.max}.`);
      return n;
    }
    case 'credential':
      return v === '' || v === null ? null : Number(v);
    case 'boolean':
      return Boolean(v);
    case 'json': {
      if (typeof v !== 'string') return v;
      if (v.trim() === '') return f.jsonShape === 'array' ? [] : {};
      let parsed: unknown;
      try {
        parsed = JSON.parse(v);
      } catch {
        throw new FormProblem(fieldId(f), `${f.label} is not valid JSON.`);
      }
      const ok = f.jsonShape === 'array' ? Array.isArray(parsed) : isObj(parsed);
      if (!ok) throw new FormProblem(fieldId(f), `${f.label} must be a JSON ${f.jsonShape === 'array' ? 'list' : 'object'}.`);
      return parsed;
    }
    case 'list':
      return Array.isArray(v) ? v.map((item) => coerceItem(f.itemFields || [], item)) : [];
    default:
      return v;
  }
}

function coerceItem(fields: FieldDescriptor[], item: unknown): Record<string, unknown> {
  const src = isObj(item) ? item : {};
  const out: Record<string, unknown> = { ...src };
  for (const f of fields) {
    const v = coerce(f, src[f.key]);
    if (v !== undefined) out[f.key] = v;
  }
  return out;
}

// The PATCH body's config for the form's values: extra_config is sent whole
// (keys the form does not show are kept); a secret left as the mask is sent
// back as the mask, which keeps the stored one. Throws FormProblem.
export function configPatch(
  fields: FieldDescriptor[],
  values: FormValues,
  stored: Partial<ComponentConfig>,
): Partial<ComponentConfig> {
  const extra: Record<string, unknown> = { ...(isObj(stored.extra_config) ? stored.extra_config : {}) };
  const out: Record<string, unknown> = {};
  let touchedExtra = false;
  for (const f of fields) {
    const id = fieldId(f);
    if (!(id in values)) continue;
    const v = coerce(f, values[id]);
    if (f.required && (v === undefined || v === null || v === '')) throw new FormProblem(id, `${f.label} is required.`);
    if (f.area === 'extra_config') {
      touchedExtra = true;
      if (v === undefined || ((v === null || v === '') && !f.required && f.default == null)) delete extra[f.key];
      else extra[f.key] = v;
    } else if (v !== undefined) {
      out[f.key] = v;
    }
  }
  if (touchedExtra) out.extra_config = extra;
  return out as Partial<ComponentConfig>;
}
