import { createHash } from 'node:crypto';

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * The Content-Security-Policy of a self-contained page (the progress page, the WhatsApp Web pairing
 * page): only its own inline script and style run, by their sha256 hashes, and it talks to its own
 * origin only.
 */
export function inlinePageCsp(inline: { script: string; style: string }): string {
  return [
    "default-src 'none'",
    `script-src ${sha256(inline.script)}`,
    `style-src ${sha256(inline.style)}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
