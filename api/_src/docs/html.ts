/**
 * @module docs/html
 * `/docs`: the OpenAPI document as one self-contained HTML page. No scripts, fonts or stylesheets
 * from anywhere (it works offline and under `default-src 'none'`); every text is escaped.
 */
import type { OpenApiDocument, Operation, Parameter } from './openapi.ts';

type JsonSchema = Record<string, unknown>;

export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** Markdown-ish `code` spans only; everything else stays plain text. */
function prose(text: string | undefined): string {
  if (!text) return '';
  return escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

function typeLabel(schema: JsonSchema | undefined): string {
  if (!schema) return 'any';
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  if ('const' in schema) return JSON.stringify(schema.const);
  const union = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(union)) return union.map(typeLabel).join(' | ');
  if (schema.$ref) return String(schema.$ref).split('/').pop()!;
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : schema.type ? [String(schema.type)] : ['any'];
  return types
    .map((type) => (type === 'array' ? `array of ${typeLabel(schema.items as JsonSchema | undefined)}` : type))
    .map((type) => (schema.format && type === 'string' ? `string (${String(schema.format)})` : type))
    .join(' | ');
}

const CONSTRAINTS = ['pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'default'] as const;

/** A nullable field is `anyOf: [schema, {type: null}]`; its notes live on the non-null member. */
function members(schema: JsonSchema): JsonSchema[] {
  const union = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  return [schema, ...(Array.isArray(union) ? union.filter((member) => member.type !== 'null') : [])];
}

function notes(schema: JsonSchema): string {
  const all = members(schema);
  const description = all.map((member) => member.description).find((text) => typeof text === 'string') as string | undefined;
  const shown = all.flatMap((member) =>
    CONSTRAINTS.filter((key) => member[key] !== undefined && !(typeof member[key] === 'number' && Math.abs(member[key]) === Number.MAX_SAFE_INTEGER)).map(
      (key) => `<span class="c">${key}: <code>${escapeHtml(typeof member[key] === 'string' ? member[key] : JSON.stringify(member[key]))}</code></span>`,
    ),
  );
  return `${prose(description)} ${shown.join(' ')}`.trim();
}

function fieldTable(schema: JsonSchema): string {
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  if (!properties || Object.keys(properties).length === 0) return `<p>${escapeHtml(typeLabel(schema))}</p>`;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const rows = Object.entries(properties).map(
    ([name, property]) =>
      `<tr><td><code>${escapeHtml(name)}</code>${required.has(name) ? ' <span class="req">required</span>' : ''}</td>` +
      `<td>${escapeHtml(typeLabel(property))}</td><td>${notes(property)}</td></tr>`,
  );
  return `<table><thead><tr><th>field</th><th>type</th><th>notes</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function schemaBlock(schema: JsonSchema): string {
  return `${fieldTable(schema)}<details><summary>JSON Schema</summary><pre>${escapeHtml(JSON.stringify(schema, null, 2))}</pre></details>`;
}

function parameterTable(parameters: Parameter[]): string {
  if (parameters.length === 0) return '';
  const rows = parameters.map(
    (p) =>
      `<tr><td><code>${escapeHtml(p.name)}</code>${p.required ? ' <span class="req">required</span>' : ''}</td><td>${p.in}</td>` +
      `<td>${escapeHtml(typeLabel(p.schema))}</td><td>${prose(p.description)} ${notes({ ...p.schema, description: undefined })}</td></tr>`,
  );
  return `<h4>Parameters</h4><table><thead><tr><th>name</th><th>in</th><th>type</th><th>notes</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function anchor(method: string, path: string): string {
  return `${method}-${path}`.replace(/[^A-Za-z0-9]+/g, '-').replace(/-+$/, '');
}

function operationSection(method: string, path: string, op: Operation): string {
  const parts = [
    `<section class="op" id="${escapeHtml(anchor(method, path))}">`,
    `<h3><span class="m m-${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span> <code>${escapeHtml(path)}</code></h3>`,
    `<p class="summary">${prose(op.summary)}</p>`,
    op['x-access'] ? `<p class="access">${op.security.length ? (op.security[0]!.sessionCookie ? 'Dashboard session' : 'API key') : 'No key'} · ${prose(op['x-access'])}</p>` : '',
    op.description ? `<p>${prose(op.description)}</p>` : '',
    parameterTable(op.parameters),
  ];
  if (op.requestBody) {
    const [type, media] = Object.entries(op.requestBody.content)[0]!;
    parts.push(`<h4>Request body <code>${escapeHtml(type)}</code></h4>`, prose(op.requestBody.description), schemaBlock(media.schema));
  }
  parts.push('<h4>Responses</h4><dl class="responses">');
  for (const [status, response] of Object.entries(op.responses)) {
    const media = response.content ? Object.entries(response.content)[0] : undefined;
    const isErrorRef = media?.[1].schema.$ref !== undefined;
    parts.push(
      `<dt class="s${escapeHtml(status[0])}">${escapeHtml(status)}</dt><dd>${prose(response.description)}` +
        (media && !isErrorRef ? ` <code>${escapeHtml(media[0])}</code>${media[1].schema.properties ? schemaBlock(media[1].schema) : ''}` : '') +
        '</dd>',
    );
  }
  parts.push('</dl></section>');
  return parts.join('\n');
}

const STYLE = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#fafbfc}
header{padding:24px 32px;background:#1d2330;color:#fff}header h1{margin:0 0 4px}header p{margin:0;color:#dde2ea;max-width:60em}
header code{background:#343c4e;color:#fff}header a{color:#fff}
.wrap{display:flex;align-items:flex-start}nav{position:sticky;top:0;max-height:100vh;overflow:auto;width:320px;flex:none;padding:16px;border-right:1px solid #e3e6ea;box-sizing:border-box}
nav h2{font-size:13px;text-transform:uppercase;letter-spacing:.05em;color:#687385;margin:16px 0 4px}nav a{display:block;color:inherit;text-decoration:none;font-size:13px;padding:2px 0;word-break:break-all}
main{padding:8px 32px 64px;min-width:0;flex:1}.op{background:#fff;border:1px solid #e3e6ea;border-radius:8px;padding:8px 20px 12px;margin:16px 0}
h2.tag{margin-top:32px}h3{font-size:16px;word-break:break-all}h4{margin:16px 0 4px;font-size:14px}.summary{font-weight:600}
.access{color:#687385;font-size:13px}.m{display:inline-block;min-width:56px;text-align:center;border-radius:4px;color:#fff;font-size:12px;padding:2px 6px}
.m-get{background:#2f6fde}.m-post{background:#1f9d55}.m-patch{background:#c77c02}.m-put{background:#7c4dce}.m-delete{background:#d0363c}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-top:1px solid #eef0f3;text-align:left;padding:4px 8px;vertical-align:top}
code{font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f1f3f6;padding:1px 4px;border-radius:3px;word-break:break-all}
pre{background:#f6f8fa;padding:12px;overflow:auto;font-size:12px}.req{color:#d0363c;font-size:11px}.c{color:#687385;font-size:12px;margin-right:6px}
dl.responses{display:grid;grid-template-columns:56px 1fr;gap:4px 8px}dt{font-weight:700}dd{margin:0}.s2{color:#1f9d55}.s3{color:#2f6fde}.s4{color:#c77c02}.s5{color:#d0363c}
`;

export function renderDocsHtml(doc: OpenApiDocument): string {
  const byTag = new Map<string, { method: string; path: string; op: Operation }[]>();
  for (const { name } of doc.tags) byTag.set(name, []);
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) byTag.get(op.tags[0]!)?.push({ method, path, op });
  }
  const nav: string[] = [];
  const body: string[] = [];
  for (const [tag, ops] of byTag) {
    nav.push(`<h2>${escapeHtml(tag)}</h2>`);
    body.push(`<h2 class="tag">${escapeHtml(tag)}</h2>`);
    for (const { method, path, op } of ops) {
      nav.push(`<a href="#${escapeHtml(anchor(method, path))}">${escapeHtml(method.toUpperCase())} ${escapeHtml(path)}</a>`);
      body.push(operationSection(method, path, op));
    }
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(doc.info.title)} API</title><style>${STYLE}</style></head>
<body><header><h1>${escapeHtml(doc.info.title)} API</h1><p>${prose(doc.info.description)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI ${escapeHtml(doc.openapi)})</p></header>
<div class="wrap"><nav>${nav.join('\n')}</nav><main>${body.join('\n')}</main></div></body></html>
`;
}
