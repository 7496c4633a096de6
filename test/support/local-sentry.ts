import { createServer, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';

/** One error event as Sentry received it (the parts the tests look at). */
export interface ReceivedEvent {
  exception?: { values?: Array<{ type?: string; value?: string }> };
  tags?: Record<string, string>;
  contexts?: Record<string, Record<string, unknown>>;
  environment?: string;
  request?: unknown;
}

/**
 * A real HTTP server that stands in for Sentry's ingestion: point SENTRY_DSN at `dsn` and every
 * envelope the SDK sends is parsed and kept, so tests can check what would have left the process.
 */
export class LocalSentry {
  readonly events: ReceivedEvent[] = [];
  /** Every byte received, to check that no secret left in any form. */
  raw = '';
  private server: Server | undefined;
  dsn = '';

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        let body = Buffer.concat(chunks);
        if (request.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        this.receive(body.toString('utf8'));
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    this.dsn = `http://public0123456789@127.0.0.1:${port}/42`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Envelope: a header line, then (item header, item payload) line pairs. */
  private receive(envelope: string): void {
    this.raw += `${envelope}\n`;
    const lines = envelope.split('\n');
    for (let i = 1; i + 1 < lines.length; i += 2) {
      const header = JSON.parse(lines[i]!) as { type?: string };
      if (header.type === 'event') this.events.push(JSON.parse(lines[i + 1]!) as ReceivedEvent);
    }
  }
}
