// A slow Cognito for the deadline tests: a TCP proxy on a free loopback port in front of
// moto_server that holds every answer back for `delayMs`. It counts the connections the client
// closed before their answer came: an aborted SDK call closes its socket.
import { once } from "node:events";
import { createConnection, createServer } from "node:net";
import { HOST } from "./moto.mjs";

/**
 * Starts the proxy to `target` (`http://host:port`). Resolves to
 * `{ endpoint, stats: { connections, closedBeforeAnswer }, stop() }`.
 */
export async function startDelayingProxy(target, { delayMs }) {
  const { hostname, port } = new URL(target);
  const stats = { connections: 0, closedBeforeAnswer: 0 };
  const sockets = new Set();
  const server = createServer((client) => {
    stats.connections += 1;
    const upstream = createConnection({ host: hostname, port: Number(port) });
    sockets.add(client);
    sockets.add(upstream);
    let answered = false;
    client.on("data", (chunk) => upstream.write(chunk));
    upstream.on("data", (chunk) => {
      setTimeout(() => {
        if (client.destroyed) return;
        answered = true;
        client.write(chunk);
      }, delayMs);
    });
    client.on("close", () => {
      if (!answered) stats.closedBeforeAnswer += 1;
      upstream.destroy();
    });
    // moto may close after each answer: pass that on after the answer, not before it.
    upstream.on("close", () => setTimeout(() => client.end(), delayMs));
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  server.listen(0, HOST);
  await once(server, "listening");
  return {
    endpoint: `http://${HOST}:${server.address().port}`,
    stats,
    async stop() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, "close");
    },
  };
}
