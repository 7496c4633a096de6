import type { Server } from 'node:http';
import type Koa from 'koa';

export interface HttpServer {
  url: string;
  close(): Promise<void>;
}

export async function listen(app: Koa, host: string, port: number): Promise<HttpServer> {
  const server: Server = await new Promise((resolve, reject) => {
    const started = app.listen(port, host, () => resolve(started));
    started.once('error', reject);
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const shownHost = host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost}:${boundPort}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
