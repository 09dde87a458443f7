/**
 * @module robustness/unstorable
 * Requests that put text Postgres cannot store (U+0000, lone surrogates) into one input at a time: every path
 * parameter, query parameter and string field of a JSON or multipart body that `/openapi.json` lists, the rest of
 * the request filled with real values so the bad one is actually reached.
 */

type Schema = {
  type?: string | string[]; properties?: Record<string, Schema>; required?: string[]; items?: Schema;
  anyOf?: Schema[]; oneOf?: Schema[]; enum?: unknown[]; const?: unknown; default?: unknown; examples?: unknown[];
  pattern?: string; minimum?: number; minItems?: number; format?: string; $ref?: string;
};

interface Parameter { name: string; in: 'path' | 'query'; required: boolean; schema: Schema }
interface Operation { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: Schema }> } }

export interface OpenApiDoc {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

/** NUL alone and inside text, and both halves of a surrogate pair without the other. */
export const UNSTORABLE = ['\u0000', 'a\u0000b', '\ud800', '\udfff'] as const;

export interface UnstorableRequest {
  method: string;
  /** Path and query, percent-encoded. */
  url: string;
  headers: Record<string, string>;
  body?: string | FormData;
  /** Which input carries the value, e.g. `path app`, `query actor`, `json notes`. */
  input: string;
  value: string;
}

/** Real values, by parameter or field name (an existing app slug, a draft's version, a valid signature…). */
export type Known = Record<string, string | number>;

/**
 * `encodeURIComponent`, except that a lone surrogate (which it refuses) is sent as its 3 WTF-8 bytes: what a
 * client that does not check its strings would put on the wire.
 */
export function percentEncode(text: string): string {
  let out = '';
  for (const char of text) {
    const unit = char.charCodeAt(0);
    if (char.length === 1 && unit >= 0xd800 && unit <= 0xdfff) {
      out += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else {
      out += encodeURIComponent(char);
    }
  }
  return out;
}

const PATTERN_CANDIDATES = ['fuzz-app', 'stable', 'octo/app', '1', 'release.yml', 'refs/heads/main', 'v', 'x'];

function resolve(doc: OpenApiDoc, schema: Schema): Schema {
  const name = schema.$ref?.replace('#/components/schemas/', '');
  return name ? (doc.components?.schemas?.[name] ?? {}) : schema;
}

const alternatives = (schema: Schema) => [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])].filter((s) => s.type !== 'null');
const isType = (schema: Schema, type: string) => schema.type === type || (Array.isArray(schema.type) && schema.type.includes(type));

/** A value the schema accepts: `known` by name first, then const, enum, default, example, a pattern's match. */
export function validValue(doc: OpenApiDoc, raw: Schema, name: string, known: Known): unknown {
  const schema = resolve(doc, raw);
  if (schema.const !== undefined) return schema.const;
  if (known[name] !== undefined) return known[name];
  if (schema.enum?.length) return schema.enum[0];
  if (schema.default !== undefined && schema.default !== null) return schema.default;
  if (schema.examples?.length) return schema.examples[0];
  const options = alternatives(schema);
  if (options.length) return validValue(doc, options[0]!, name, known);
  if (isType(schema, 'object') || schema.properties) {
    const required = new Set(schema.required ?? []);
    return Object.fromEntries(Object.entries(schema.properties ?? {}).filter(([key]) => required.has(key)).map(([key, sub]) => [key, validValue(doc, sub, key, known)]));
  }
  if (isType(schema, 'array')) return schema.minItems ? [validValue(doc, schema.items ?? {}, name, known)] : [];
  if (isType(schema, 'integer') || isType(schema, 'number')) return Math.max(schema.minimum ?? 1, 1);
  if (isType(schema, 'boolean')) return false;
  if (schema.pattern) return PATTERN_CANDIDATES.find((candidate) => new RegExp(schema.pattern!, 'u').test(candidate)) ?? 'x';
  return 'x';
}

/**
 * Every way to put `bad` into one string of a value of `schema`, the rest valid: `field` is its dotted path
 * (array items as `0`), `value` the whole value. Alternatives (`anyOf`, `oneOf`) are each walked.
 */
export function* withBadString(doc: OpenApiDoc, raw: Schema, name: string, bad: string, known: Known): Generator<{ field: string; value: unknown }> {
  const schema = resolve(doc, raw);
  const options = alternatives(schema);
  if (options.length) {
    const seen = new Set<string>();
    for (const option of options) {
      for (const found of withBadString(doc, option, name, bad, known)) {
        const id = `${found.field}\n${JSON.stringify(found.value)}`;
        if (!seen.has(id)) { seen.add(id); yield found; }
      }
    }
    return;
  }
  if (schema.properties) {
    const base = validValue(doc, schema, name, known) as Record<string, unknown>;
    for (const [key, sub] of Object.entries(schema.properties)) {
      for (const found of withBadString(doc, sub, key, bad, known)) {
        yield { field: found.field ? `${key}.${found.field}` : key, value: { ...base, [key]: found.value } };
      }
    }
    return;
  }
  if (isType(schema, 'array') && schema.items) {
    for (const found of withBadString(doc, schema.items, name, bad, known)) yield { field: found.field ? `0.${found.field}` : '0', value: [found.value] };
    return;
  }
  if ((isType(schema, 'string') || schema.type === undefined) && schema.format !== 'binary' && schema.const === undefined) yield { field: '', value: bad };
}

function fillPath(template: string, known: Known, bad?: { name: string; value: string }): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => percentEncode(name === bad?.name ? bad.value : String(known[name] ?? 'x')));
}

/** Every documented operation, with each unstorable value in each of its inputs in turn. */
export function* unstorableRequests(doc: OpenApiDoc, options: { params: Known; fields: Known; authorization: string }): Generator<UnstorableRequest> {
  const { params: knownParams, fields: known } = options;
  for (const [template, methods] of Object.entries(doc.paths)) {
    for (const [lower, operation] of Object.entries(methods)) {
      const method = lower.toUpperCase();
      const params = operation.parameters ?? [];
      const query = (bad?: { name: string; value: string }) => {
        const pairs = params
          .filter((p) => p.in === 'query' && (p.required || p.name === bad?.name))
          .map((p) => `${p.name}=${percentEncode(p.name === bad?.name ? bad.value : String(validValue(doc, p.schema, p.name, knownParams)))}`);
        return pairs.length ? `?${pairs.join('&')}` : '';
      };
      const content = operation.requestBody?.content ?? {};
      const jsonSchema = content['application/json']?.schema;
      const jsonBody = jsonSchema && !(jsonSchema.type === 'string' && (jsonSchema as { contentEncoding?: string }).contentEncoding) ? jsonSchema : undefined;
      const multipart = content['multipart/form-data']?.schema;
      const validBody = jsonBody ? JSON.stringify(validValue(doc, jsonBody, '', known)) : undefined;
      const base = { method, headers: { authorization: options.authorization, ...(jsonBody && { 'content-type': 'application/json' }) } };
      for (const value of UNSTORABLE) {
        for (const param of params) {
          const bad = { name: param.name, value };
          yield { ...base, url: fillPath(template, knownParams, param.in === 'path' ? bad : undefined) + query(param.in === 'query' ? bad : undefined), body: validBody, input: `${param.in} ${param.name}`, value };
        }
        const url = fillPath(template, knownParams) + query();
        if (jsonBody) {
          for (const { field, value: body } of withBadString(doc, jsonBody, '', value, known)) {
            yield { ...base, url, body: JSON.stringify(body), input: `json ${field}`, value };
          }
          const withBadKey = { ...(validValue(doc, jsonBody, '', known) as object), [`k${value}`]: 1 };
          yield { ...base, url, body: JSON.stringify(withBadKey), input: 'json (a key)', value };
        }
        if (multipart?.properties) {
          for (const [field, schema] of Object.entries(multipart.properties)) {
            if (schema.format === 'binary') continue;
            const form = new FormData();
            for (const [name, sub] of Object.entries(multipart.properties)) {
              if (sub.format === 'binary') continue;
              if (name === field) form.append(name, value);
              else if (multipart.required?.includes(name)) form.append(name, String(validValue(doc, sub, name, known)));
            }
            form.append('file', new Blob([new Uint8Array(16)]), String(known.file_name ?? 'file.bin'));
            yield { method, url, headers: { authorization: options.authorization }, body: form, input: `multipart ${field}`, value };
          }
        }
      }
    }
  }
}
