import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Swagger UI over this API's own /openapi.json, served from the installed `swagger-ui-dist`
 * package (version pinned in package.json): nothing comes from a CDN, so /docs works offline and
 * its Content-Security-Policy allows only the API's own origin. "Authorize" takes the API key
 * once and keeps it in this browser (persistAuthorization), and "Try it out" calls the API.
 */

/** The files of swagger-ui-dist the page loads, with their media types (nothing else is served). */
export const SWAGGER_ASSETS = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
} as const;
export type SwaggerAsset = keyof typeof SWAGGER_ASSETS | 'init.js';

/** Our own start-up script (a file, not inline: the policy allows scripts from this origin only). */
const INIT_SCRIPT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  persistAuthorization: true,
  tryItOutEnabled: true,
  displayRequestDuration: true,
});
`;

export const SWAGGER_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Disparo API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
<noscript>This page needs JavaScript; <a href="/docs/plain">/docs/plain</a> is the same reference without it.</noscript>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script>
</body>
</html>
`;

/**
 * Only this origin: its scripts, styles (Swagger UI also sets inline style attributes), images
 * (its icons are data: URIs) and requests (the document and "Try it out").
 */
export const SWAGGER_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const cache = new Map<SwaggerAsset, Buffer>();

/** An asset's bytes, read once from node_modules and kept. */
export function swaggerAsset(name: SwaggerAsset): { body: Buffer; type: string } {
  if (name === 'init.js') return { body: Buffer.from(INIT_SCRIPT), type: 'text/javascript; charset=utf-8' };
  let body = cache.get(name);
  if (!body) {
    const root = dirname(require.resolve('swagger-ui-dist/package.json'));
    body = readFileSync(join(root, name));
    cache.set(name, body);
  }
  return { body, type: SWAGGER_ASSETS[name] };
}
