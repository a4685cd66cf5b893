// A TCP proxy in front of a server, to take one client away from it without
// touching the server or the other clients: `block()` drops the client's
// connections and refuses new ones (the client keeps trying), `unblock()`
// lets it back.

import net from 'node:net';

export class Proxy {
  private readonly pairs = new Set<[net.Socket, net.Socket]>();
  private blocked = false;
  /** connections refused while blocked */
  refused = 0;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly target: () => { host: string; port: number },
  ) {}

  /** A proxy on a free loopback port forwarding to `target()` (read at every connection). */
  static start(target: () => { host: string; port: number }): Promise<Proxy> {
    return new Promise((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const a = server.address();
        const port = typeof a === 'object' && a !== null ? a.port : 0;
        const p = new Proxy(server, port, target);
        server.on('connection', (s) => p.accept(s));
        resolve(p);
      });
    });
  }

  get connectString(): string {
    return `127.0.0.1:${this.port}`;
  }

  private accept(client: net.Socket): void {
    if (this.blocked) {
      this.refused++;
      client.destroy();
      return;
    }
    const t = this.target();
    const upstream = net.connect({ host: t.host, port: t.port });
    const pair: [net.Socket, net.Socket] = [client, upstream];
    this.pairs.add(pair);
    const end = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** Drops every connection through the proxy. */
  cut(): void {
    for (const [a, b] of [...this.pairs]) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
  }

  /** Drops every connection and refuses new ones until `unblock()`. */
  block(): void {
    this.blocked = true;
    this.cut();
  }

  unblock(): void {
    this.blocked = false;
  }

  close(): Promise<void> {
    this.block();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
