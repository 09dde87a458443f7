import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { withRequestLog } from './request-log.ts';

const lines: string[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer(
    withRequestLog((req, res) => {
      if (req.url?.startsWith('/slow')) {
        res.writeHead(200);
        res.write('partial');
        return; // never ended: the client gives up
      }
      res.writeHead(req.url?.startsWith('/missing') ? 404 : 200, { 'content-type': 'text/plain' }).end('ok');
    }, (line) => lines.push(line)),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const logged = async (count: number) => {
  for (let i = 0; i < 100 && lines.length < count; i++) await new Promise((r) => setTimeout(r, 10));
  return lines.splice(0);
};

describe('withRequestLog', () => {
  it('writes one line per request: time, method, path without the query, status, duration', async () => {
    await fetch(`${base}/update/app/linux/x86_64/1.0.0?install_id=secret-install`);
    await fetch(`${base}/missing`, { method: 'DELETE' });
    const [first, second] = await logged(2);
    expect(first).toMatch(/^\d\d:\d\d:\d\d GET \/update\/app\/linux\/x86_64\/1\.0\.0 200 \d+\.\d ms\n$/);
    expect(first).not.toContain('secret-install');
    expect(second).toMatch(/^\d\d:\d\d:\d\d DELETE \/missing 404 \d+\.\d ms\n$/);
  });

  it("never writes a claim URL's token: whoever reads the log could reveal the buyer's license key with it", async () => {
    const token = 'Zm9vYmFyYmF6cXV4MDEyMzQ1Njc4OWFiY2RlZmdoaWprbA';
    await fetch(`${base}/claim/${token}`);
    await fetch(`${base}/claim/${token}/`, { method: 'POST' });
    // Spellings the router also takes to the claim route (fetch would normalise them, so a raw request).
    for (const path of [`/./claim/${token}`, `/%63laim/${token}`]) {
      await new Promise<void>((resolve, reject) => request({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, path }, (res) => res.resume().on('end', resolve)).on('error', reject).end());
    }
    const [get, post, dotted, encoded] = await logged(4);
    expect([dotted, encoded].map((line) => line!.split(' ')[2])).toEqual(['/claim/…', '/claim/…']);
    expect(get).toMatch(/^\d\d:\d\d:\d\d GET \/claim\/… 200 \d+\.\d ms\n$/);
    expect(post).toMatch(/ POST \/claim\/… 200 /);
    expect(get! + post! + dotted! + encoded!).not.toContain(token);
  });

  it('never writes a license key put into the path, however it is spelt', async () => {
    const key = 'trl_PDR9JT1S5AJ9CEG7BVE59GK4PZ3H3FPAC';
    const port = (server.address() as AddressInfo).port;
    for (const path of [`/update/app/linux/x86_64/${key}`, `/download/app/${key.toLowerCase()}/x`, `/update/app/linux/x86_64/%74rl_${key.slice(4)}`]) {
      await new Promise<void>((resolve, reject) => request({ host: '127.0.0.1', port, path }, (res) => res.resume().on('end', resolve)).on('error', reject).end());
    }
    const written = await logged(3);
    expect(written.map((line) => line.split(' ')[2])).toEqual(['/update/app/linux/x86_64/trl_…', '/download/app/trl_…/x', '/update/app/linux/x86_64/trl_…']);
    expect(written.join('').toUpperCase()).not.toContain(key.slice(4));
    await fetch(`${base}/download/app/1.0.0/ctrl_app.exe`);
    expect((await logged(1))[0]).toContain(' /download/app/1.0.0/ctrl_app.exe ');
  });

  it('says when the client went away before the answer ended', async () => {
    const controller = new AbortController();
    const res = await fetch(`${base}/slow`, { signal: controller.signal });
    expect(res.status).toBe(200);
    controller.abort();
    const [line] = await logged(1);
    expect(line).toMatch(/ GET \/slow 200 aborted /);
  });
});
