import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { pairText, TestClient } from '../support/ws-client.js';

describe('text chat through the signaling server', () => {
  let server: TestApp;
  const clients: TestClient[] = [];
  const connect = async (): Promise<TestClient> => {
    const client = await TestClient.connect(server.app.url);
    clients.push(client);
    return client;
  };

  beforeEach(async () => {
    server = await startTestApp({ mediasoupWorkers: 1 });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.close();
  });

  it('pairs two text chatters, relays messages and typing both ways, and never echoes text into storage', async () => {
    const a = await connect();
    const b = await connect();
    expect((await a.request({ type: 'start', mode: 'text', interests: [], countries: [] })).ok).toBe(true);
    await a.next('waiting');
    expect((await b.request({ type: 'start', mode: 'text', interests: [], countries: [] })).ok).toBe(true);
    const [pa, pb] = await Promise.all([a.next('paired'), b.next('paired')]);
    expect(pa).toMatchObject({ mode: 'text', sharedInterests: [] });
    expect(pb.partnerCountry).toBeUndefined();

    const sent = await a.request({ type: 'chat', text: 'hello stranger' });
    expect(sent).toMatchObject({ ok: true, data: { text: 'hello stranger' } });
    expect(await b.next('chat')).toEqual({ type: 'chat', text: 'hello stranger' });
    await b.request({ type: 'chat', text: 'hi there, how are you' });
    expect((await a.next('chat')).text).toBe('hi there, how are you');

    await b.request({ type: 'typing', typing: true });
    expect(await a.next('typing')).toEqual({ type: 'typing', typing: true });

    const keys = await server.app.redis.redis.keys('*');
    const values = await Promise.all(keys.filter((k) => !k.includes('online')).map(async (k) => JSON.stringify(await server.app.redis.redis.dump(k))));
    expect(values.join(' ')).not.toContain('hello stranger');
  });

  it('counts the chatters online for the landing page', async () => {
    await connect();
    const second = await connect();
    expect(await (await fetch(server.app.url + '/api/online')).json()).toEqual({ online: 2 });
    expect((second.received.find((m) => m.type === 'welcome') as { online: number }).online).toBe(2);
  });

  it('pairs chatters with a shared interest and tells both what they share', async () => {
    const a = await connect();
    const b = await connect();
    const c = await connect();
    await a.request({ type: 'start', mode: 'text', interests: ['Chess', 'jazz'], countries: [] });
    await a.next('waiting');
    await b.request({ type: 'start', mode: 'text', interests: ['football'], countries: [] });
    await b.next('waiting');
    await c.request({ type: 'start', mode: 'text', interests: ['jazz'], countries: [] });
    const [pa, pc] = await Promise.all([a.next('paired'), c.next('paired')]);
    expect(pa.sharedInterests).toEqual(['jazz']);
    expect(pc.sharedInterests).toEqual(['jazz']);
    expect(b.received.some((m) => m.type === 'paired')).toBe(false);
  });

  it('Next drops the partner, who is told, and finds someone new; Stop leaves', async () => {
    const a = await connect();
    const b = await connect();
    await pairText(a, b);

    const c = await connect();
    await c.request({ type: 'start', mode: 'text', interests: [], countries: [] });
    await c.next('waiting');
    expect((await a.request({ type: 'next' })).ok).toBe(true);
    expect(await b.next('partner.left')).toEqual({ type: 'partner.left', reason: 'next' });
    await Promise.all([a.next('paired'), c.next('paired')]);

    await c.request({ type: 'stop' });
    expect(await a.next('partner.left')).toEqual({ type: 'partner.left', reason: 'stop' });
    expect((await c.request({ type: 'chat', text: 'anyone?' })).ok).toBe(false);
  });

  it('tells the partner within seconds when a chatter vanishes', async () => {
    const a = await connect();
    const b = await connect();
    await pairText(a, b);
    b.ws.terminate();
    expect(await a.next('partner.left')).toEqual({ type: 'partner.left', reason: 'disconnected' });
  });

  it('notices a partner whose network is gone (no close, no pongs) within a few heartbeats, and ends the chat after the resume grace', async () => {
    const a = await connect();
    const silent = await TestClient.connect(server.app.url, { answerPings: false });
    clients.push(silent);
    await pairText(a, silent);
    const started = Date.now();
    expect(await a.next('partner.reconnecting')).toEqual({ type: 'partner.reconnecting' });
    expect(Date.now() - started).toBeLessThan(5 * server.config.heartbeatIntervalMs);
    // It never comes back to resume: when the grace ends, the chat ends as a disconnect.
    expect(await a.next('partner.left')).toEqual({ type: 'partner.left', reason: 'disconnected' });
    expect(Date.now() - started).toBeLessThan(5 * server.config.heartbeatIntervalMs + server.config.resumeGraceMs);
  });

  it('Report disconnects the reporter from that partner and records the report by keyed hash only', async () => {
    const a = await connect();
    const b = await connect();
    await pairText(a, b);
    const response = await a.request({ type: 'report', reason: 'harassment' });
    expect(response.ok).toBe(true);
    const referenceId = (response as { data: { referenceId: string } }).data.referenceId;
    expect(await b.next('partner.left')).toEqual({ type: 'partner.left', reason: 'disconnected' });
    const stored = await server.app.redis.redis.hgetall(`veil:report:${referenceId}`);
    expect(stored.reason).toBe('harassment');
    expect(stored.reportedHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain('127.0.0.1');
    expect(Number(stored.deleteAt)).toBeGreaterThan(Date.now());
    expect(await server.app.redis.redis.pttl(`veil:report:${referenceId}`)).toBeGreaterThan(0);
  });

  it('blocks links and slurs in chat with a reason, and relays nothing of them', async () => {
    const a = await connect();
    const b = await connect();
    await pairText(a, b);
    const link = await a.request({ type: 'chat', text: 'visit www.example.com now' });
    expect(link).toMatchObject({ ok: false, error: { code: 'chat_blocked' } });
    await a.request({ type: 'chat', text: 'fine then' });
    expect((await b.next('chat')).text).toBe('fine then');
  });

  it('a partner who skipped away can still be reported for a short while, once', async () => {
    const a = await connect();
    const b = await connect();
    await pairText(a, b);
    await b.request({ type: 'stop' });
    await a.next('partner.left');
    expect((await a.request({ type: 'report', reason: 'nudity' })).ok).toBe(true);
    expect(await a.request({ type: 'report', reason: 'nudity' })).toMatchObject({ ok: false, error: { code: 'wrong_state' } });
    const fresh = await connect();
    expect(await fresh.request({ type: 'report', reason: 'spam' })).toMatchObject({ ok: false, error: { code: 'wrong_state' } });
  });
});
