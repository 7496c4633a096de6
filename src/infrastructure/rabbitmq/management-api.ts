/**
 * A small client of the RabbitMQ management HTTP API: what the operator sees in the console, used
 * by tests (per-test vhosts, queue depths) and by the CLI.
 */
export class ManagementApi {
  private readonly base: string;
  private readonly authorization: string;

  constructor(url: string) {
    const parsed = new URL(url);
    this.authorization = `Basic ${Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64')}`;
    parsed.username = '';
    parsed.password = '';
    this.base = parsed.toString().replace(/\/$/, '');
  }

  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const response = await fetch(`${this.base}/api${path}`, {
      method,
      headers: { authorization: this.authorization, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`management API ${method} ${path}: ${response.status} ${await response.text()}`);
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async createVhost(vhost: string, user = 'guest'): Promise<void> {
    await this.request('PUT', `/vhosts/${encodeURIComponent(vhost)}`, {});
    await this.request('PUT', `/permissions/${encodeURIComponent(vhost)}/${encodeURIComponent(user)}`, {
      configure: '.*',
      write: '.*',
      read: '.*',
    });
  }

  async deleteVhost(vhost: string): Promise<void> {
    await this.request('DELETE', `/vhosts/${encodeURIComponent(vhost)}`).catch(() => undefined);
  }

  async queue(vhost: string, name: string): Promise<{ messages: number; consumers: number }> {
    return this.request('GET', `/queues/${encodeURIComponent(vhost)}/${encodeURIComponent(name)}`);
  }

  async connections(vhost?: string): Promise<Array<{ name: string; vhost: string }>> {
    return this.request('GET', vhost ? `/vhosts/${encodeURIComponent(vhost)}/connections` : '/connections');
  }

  /** Force-closes a client connection, as an operator would from the console. */
  async closeConnection(name: string, reason = 'closed by operator'): Promise<void> {
    await this.request('DELETE', `/connections/${encodeURIComponent(name)}`, undefined, { 'x-reason': reason });
  }
}
