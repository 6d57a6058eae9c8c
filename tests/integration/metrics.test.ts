import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { TestClient } from '../support/ws-client.js';

/** One sample value from Prometheus text, 0 when the series is absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((entry) => entry.startsWith(series + ' '));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe('/metrics (a listener of its own, Prometheus text)', () => {
  let server: TestApp;
  const clients: TestClient[] = [];
  const connect = async (address: string): Promise<TestClient> => {
    const client = await TestClient.connect(server.app.url, { headers: { 'X-Forwarded-For': address } });
    clients.push(client);
    return client;
  };
  const scrape = async (): Promise<string> => {
    const response = await fetch(server.app.metricsUrl ?? '');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    return response.text();
  };

  beforeEach(async () => {
    server = await startTestApp({ mediasoupWorkers: 1, trustedProxies: ['127.0.0.1'], wsMessagesPerSecond: 5, wsMessageBurst: 10 });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await server.close();
  });

  it('is not on the public port', async () => {
    expect(server.app.metricsUrl).not.toContain(`:${server.app.port}/`);
    expect((await fetch(`${server.app.url}/metrics`)).status).toBe(404);
    expect((await fetch((server.app.metricsUrl ?? '').replace('/metrics', '/other'))).status).toBe(404);
  });

  it('counts what happened: pairings, messages, a Next, a flood disconnect; and no series carries an address, hash, interest or text', async () => {
    const before = await scrape();
    expect(sample(before, 'veil_pairings_total{locality="same_node"}')).toBe(0);
    const a = await connect('203.0.113.20');
    const b = await connect('203.0.113.21');
    await a.request({ type: 'start', mode: 'text', interests: ['secret-hobby'], countries: [] });
    await a.next('waiting');
    await b.request({ type: 'start', mode: 'text', interests: ['secret-hobby'], countries: [] });
    await Promise.all([a.next('paired'), b.next('paired')]);
    await a.request({ type: 'chat', text: 'a private sentence' });
    await b.next('chat');

    const paired = await scrape();
    expect(sample(paired, 'veil_pairings_total{locality="same_node"}')).toBe(1);
    expect(sample(paired, 'veil_chatters{mode="text",state="paired"}')).toBe(2);
    expect(sample(paired, 'veil_ws_messages_total{type="chat"}')).toBe(1);
    expect(sample(paired, 'veil_pairing_wait_seconds_count')).toBe(2);
    expect(sample(paired, 'veil_redis_up')).toBe(1);
    expect(sample(paired, 'veil_mediasoup_workers_alive')).toBe(1);
    expect(sample(paired, 'veil_mediasoup_worker_cpu_seconds{worker="0"}')).toBeGreaterThan(0);

    await b.request({ type: 'next' });
    await a.next('partner.left');
    const c = await connect('203.0.113.22');
    await c.request({ type: 'start', mode: 'text', interests: [], countries: [] });
    await Promise.all([b.next('paired'), c.next('paired')]);
    expect(await a.request({ type: 'chat', text: 'nobody here' })).toMatchObject({ ok: false, error: { code: 'wrong_state' } });
    for (let i = 0; i < 60; i++) a.sendRaw(JSON.stringify({ type: 'typing', id: 1000 + i, typing: true }));
    expect((await a.closed()).reason).toBe('flooding');

    expect(await c.request({ type: 'report', reason: 'spam' })).toMatchObject({ ok: true });
    const after = await scrape();
    expect(sample(after, 'veil_review_queue_items{level="user_report",kind="report"}')).toBe(1);
    expect(sample(after, 'veil_review_queue_items{level="csam_hash_match",kind="evidence"}')).toBe(0);
    expect(sample(after, 'veil_pairings_total{locality="same_node"}')).toBe(2);
    expect(sample(after, 'veil_ws_messages_total{type="next"}')).toBe(1);
    expect(sample(after, 'veil_ws_closed_total{reason="flooding"}')).toBe(1);
    // The chat while idle, and the typing messages of the flood admitted before it was cut off.
    expect(sample(after, 'veil_ws_errors_total{code="wrong_state"}')).toBeGreaterThanOrEqual(2);

    for (const forbidden of ['203.0.113.', '127.0.0.1', 'secret-hobby', 'a private sentence']) expect(after).not.toContain(forbidden);
    // No label value looks like a keyed hash (64 hex characters) or an address.
    const labelValues = [...after.matchAll(/="([^"]*)"/g)].map((match) => match[1] ?? '');
    for (const value of labelValues) {
      expect(value).not.toMatch(/^[0-9a-f]{32,}$/);
      expect(value).not.toMatch(/^\d{1,3}(\.\d{1,3}){3}$/);
    }
  });
});
