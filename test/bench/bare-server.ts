/**
 * @module bench/bare-server
 * The baseline: a bare `node:http` server answering every request with one recorded response (status, headers,
 * body bytes) held in memory. Run as its own process: `node test/bench/bare-server.ts <fixture.json> <port>`.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

export interface Fixture {
  status: number;
  headers: Record<string, string>;
  /** base64 of the body bytes */
  body: string;
}

const [fixturePath, port] = process.argv.slice(2);
if (!fixturePath || !port) throw new Error('usage: bare-server.ts <fixture.json> <port>');
const fixture = JSON.parse(readFileSync(fixturePath, 'utf8')) as Fixture;
const body = Buffer.from(fixture.body, 'base64');
const headers = { ...fixture.headers, 'content-length': String(body.length) };

const server = createServer((_req, res) => {
  res.writeHead(fixture.status, headers);
  res.end(body);
});
server.listen(Number(port), '127.0.0.1', () => console.log(`bare node:http listening on ${port}`));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
setTimeout(() => process.exit(0), 10 * 60_000).unref(); // never outlives a broken bench by long
