/**
 * The OpenAPI document as one self-contained HTML page (no scripts, no CDN: the page works offline):
 * operations grouped by tag, each with its parameters, request body schema and responses.
 */
// biome-ignore lint/suspicious/noExplicitAny: walks an arbitrary OpenAPI document
type Json = Record<string, any>;

const escapeHtml = (text: unknown) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function schemaBlock(schema: unknown): string {
  return `<pre>${escapeHtml(JSON.stringify(schema, null, 2))}</pre>`;
}

function parameterTable(parameters: Json[]): string {
  if (parameters.length === 0) return '';
  const rows = parameters
    .map(
      (p) =>
        `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${escapeHtml(p.in)}</td><td>${p.required ? 'yes' : ''}</td><td><code>${escapeHtml(JSON.stringify(p.schema))}</code></td><td>${escapeHtml(p.description ?? '')}</td></tr>`,
    )
    .join('');
  return `<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th><th></th></tr>${rows}</table>`;
}

function operationBlock(method: string, path: string, op: Json): string {
  const id = escapeHtml(op.operationId);
  const body = op.requestBody
    ? Object.entries(op.requestBody.content as Json)
        .map(
          ([type, content]) => `<h4>body <code>${escapeHtml(type)}</code></h4>${schemaBlock((content as Json).schema)}`,
        )
        .join('')
    : '';
  const responses = Object.entries(op.responses as Json)
    .map(([status, r]) => {
      const content = (r as Json).content as Json | undefined;
      const [type, media] = content ? Object.entries(content)[0]! : [];
      const schema =
        media && !(media as Json).schema?.$ref
          ? `<details><summary>schema</summary>${schemaBlock((media as Json).schema)}</details>`
          : '';
      return `<li><b>${escapeHtml(status)}</b> ${escapeHtml((r as Json).description)}${type ? ` <code>${escapeHtml(type)}</code>` : ''}${schema}</li>`;
    })
    .join('');
  return `<section id="${id}"><h3><span class="m ${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span> <code>${escapeHtml(path)}</code> <small>${escapeHtml(op['x-access'])}</small></h3>
<p>${escapeHtml(op.summary)}</p>${op.description ? `<p>${escapeHtml(op.description)}</p>` : ''}${parameterTable(op.parameters ?? [])}${body}<h4>responses</h4><ul>${responses}</ul></section>`;
}

export function docsPage(document: Json): string {
  const byTag = new Map<string, string[]>();
  const index: string[] = [];
  for (const [path, methods] of Object.entries(document.paths as Json)) {
    for (const [method, op] of Object.entries(methods as Json)) {
      const tag = (op as Json).tags?.[0] ?? 'Other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)!.push(operationBlock(method, path, op as Json));
      index.push(
        `<li><a href="#${escapeHtml((op as Json).operationId)}">${escapeHtml(method.toUpperCase())} ${escapeHtml(path)}</a></li>`,
      );
    }
  }
  const sections = [...byTag].map(([tag, blocks]) => `<h2>${escapeHtml(tag)}</h2>${blocks.join('')}`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(document.info.title)}</title>
<style>body{font:15px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}code,pre{font:13px ui-monospace,monospace}
pre{background:#f5f5f5;padding:.6em;overflow:auto;max-height:24em}section{border-top:1px solid #ddd;padding:.4em 0}h3 small{color:#888;font-weight:normal}
.m{display:inline-block;min-width:4.5em;text-align:center;border-radius:3px;color:#fff;font-size:13px;padding:1px 4px}.get{background:#2b7}.post{background:#27c}.patch{background:#c82}.delete{background:#c33}.put{background:#84c}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}nav ul{columns:2}</style></head>
<body><h1>${escapeHtml(document.info.title)} <small>${escapeHtml(document.info.version)}</small></h1><p>${escapeHtml(document.info.description)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI ${escapeHtml(document.openapi)}).</p>
<nav><ul>${index.join('')}</ul></nav>${sections}</body></html>`;
}
