// Proxies in front of moto_server on a free loopback port: a slow Cognito for the deadline tests,
// which holds every answer back for `delayMs` and counts the connections the client closed
// before their answer came (an aborted SDK call closes its socket); and a recording Cognito,
// which keeps every request the connector sends.
import { once } from "node:events";
import { createServer as createHttpServer } from "node:http";
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

/**
 * A recording Cognito: an HTTP proxy on a free loopback port in front of moto_server that keeps
 * each AWS JSON request it passes on, as `{ target, input }` (`target` the operation, like
 * "AdminInitiateAuth"; `input` its parsed body), so a test can see what the connector sent.
 * Resolves to `{ endpoint, requests, stop() }`.
 */
export async function startRecordingProxy(target) {
  const requests = [];
  const server = createHttpServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const operation = String(req.headers["x-amz-target"] ?? "").split(".").pop();
    try {
      requests.push({ target: operation, input: JSON.parse(body.toString("utf8") || "{}") });
    } catch {
      requests.push({ target: operation, input: undefined });
    }
    const hop = (name) => ["host", "content-length", "content-encoding", "transfer-encoding", "connection"].includes(name);
    try {
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !hop(name)));
      const answer = await fetch(new URL(req.url, target), { method: req.method, headers, body: req.method === "GET" ? undefined : body });
      res.writeHead(answer.status, Object.fromEntries([...answer.headers].filter(([name]) => !hop(name))));
      res.end(Buffer.from(await answer.arrayBuffer()));
    } catch (error) {
      res.writeHead(502, { "content-type": "text/plain" });
      res.end(`recording proxy: ${error.message}`);
    }
  });
  server.listen(0, HOST);
  await once(server, "listening");
  return {
    endpoint: `http://${HOST}:${server.address().port}`,
    requests,
    async stop() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}
