import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inlinePageCsp } from './inline-page-csp';

/**
 * The live progress page (`GET /progress`): one self-contained HTML document, no external assets
 * (the machine may be offline, and nothing is loaded from a CDN). Its HTML, CSS and JS are the files
 * in `static/progress/` (the build copies them next to the compiled code); at start-up the style and
 * script are put inline in the page and their sha256 hashes become the Content-Security-Policy, so
 * nothing else can run on it. It asks `GET /v1/progress` every
 * 2 s with the company's API key and draws each campaign's bar, the sends over time (an SVG chart)
 * and the failures by reason. Everything shown goes through textContent, never innerHTML, so a
 * campaign's name cannot inject markup.
 *
 * The key comes from the URL fragment (`/progress#key=dsp_…`, never sent to the server, so never
 * in its logs or a Referer) or from the form; it is kept in sessionStorage for the tab and wiped
 * from the address bar at once.
 */
export interface ProgressPage {
  html: string;
  contentSecurityPolicy: string;
}

export const PROGRESS_PAGE_DIR = join(__dirname, 'static', 'progress');

/** Reads the page's files, inlines the style and script (as the stand-alone file links them) and hashes them. */
export function loadProgressPage(dir: string = PROGRESS_PAGE_DIR): ProgressPage {
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  const style = read('page.css');
  const script = read('page.js');
  const html = inline(
    inline(read('index.html'), '<link rel="stylesheet" href="page.css">', `<style>${style}</style>`),
    '<script src="page.js"></script>',
    `<script>${script}</script>`,
  );
  return {
    html,
    /** Only this page's own inline script and style run; it talks to its own origin only. */
    contentSecurityPolicy: inlinePageCsp({ script, style }),
  };
}

function inline(html: string, tag: string, replacement: string): string {
  if (!html.includes(tag)) throw new Error(`progress page: index.html has no ${tag}`);
  return html.replace(tag, () => replacement);
}
