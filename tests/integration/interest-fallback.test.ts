import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { TestClient } from '../support/ws-client.js';

describe('interest fallback', () => {
  let server: TestApp;
  const clients: TestClient[] = [];
  beforeEach(async () => {
    server = await startTestApp({ mediasoupWorkers: 1, matchInterestFallbackMs: 400, matchRetryMs: 5000 });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.close();
  });

  it('pairs chatters without a shared interest once the fallback has passed, with nothing shared shown', async () => {
    const a = await TestClient.connect(server.app.url);
    const b = await TestClient.connect(server.app.url);
    clients.push(a, b);
    const started = Date.now();
    await a.request({ type: 'start', mode: 'text', interests: ['chess'], countries: [] });
    await a.next('waiting');
    await b.request({ type: 'start', mode: 'text', interests: ['surfing'], countries: [] });
    await b.next('waiting');
    const [pa, pb] = await Promise.all([a.next('paired'), b.next('paired')]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(pa.sharedInterests).toEqual([]);
    expect(pb.sharedInterests).toEqual([]);
  });
});
