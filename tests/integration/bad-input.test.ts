import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { once } from 'node:events';
import { startTestApp, type TestApp } from '../support/app.js';
import { pairText, TestClient } from '../support/ws-client.js';

/**
 * Every bad input gets a clear error or a disconnect with a reason, while a second pair of
 * chatters on the same server keeps talking throughout.
 */
describe('bad input on the signaling socket', () => {
  let server: TestApp;
  let alice: TestClient;
  let bob: TestClient;
  let round = 0;

  const bystandersStillTalk = async (): Promise<void> => {
    const text = `still here ${++round}`;
    expect((await alice.request({ type: 'chat', text })).ok).toBe(true);
    expect((await bob.next('chat')).text).toBe(text);
  };

  beforeAll(async () => {
    server = await startTestApp({ mediasoupWorkers: 1, wsMaxPayloadBytes: 4096, wsMessagesPerSecond: 5, wsMessageBurst: 10 });
    alice = await TestClient.connect(server.app.url);
    bob = await TestClient.connect(server.app.url);
    await pairText(alice, bob);
  });
  afterAll(async () => {
    await alice.close();
    await bob.close();
    await server.close();
  });

  it('answers malformed JSON with bad_json', async () => {
    const c = await TestClient.connect(server.app.url);
    c.sendRaw('{"type": "start",');
    expect((await c.next('error')).error.code).toBe('bad_json');
    await c.close();
    await bystandersStillTalk();
  });

  it('answers an unknown message type with bad_message naming the field, keeping the request id', async () => {
    const c = await TestClient.connect(server.app.url);
    c.sendRaw(JSON.stringify({ type: 'teleport', id: 7 }));
    const reply = await c.next('response');
    expect(reply).toMatchObject({ id: 7, ok: false, error: { code: 'bad_message' } });
    expect((reply as { error: { message: string } }).error.message).toMatch(/type/);
    c.sendRaw(JSON.stringify({ type: 'start', id: 8, mode: 'video', interests: ['x'.repeat(40)] }));
    expect((await c.next('response')).id).toBe(8);
    expect(JSON.stringify(c.received.at(-1))).toMatch(/interests\.0: interests are at most 32 characters/);
    c.sendRaw(Buffer.from([1, 2, 3]));
    expect((await c.next('error')).error.message).toMatch(/binary/);
    await c.close();
    await bystandersStillTalk();
  });

  it('answers requests in the wrong state with wrong_state', async () => {
    const c = await TestClient.connect(server.app.url);
    expect(await c.request({ type: 'chat', text: 'hello?' })).toMatchObject({ ok: false, error: { code: 'wrong_state' } });
    expect(await c.request({ type: 'next' })).toMatchObject({ ok: false, error: { code: 'wrong_state' } });
    expect(await c.request({ type: 'media.ready', consumerIds: [] })).toMatchObject({ ok: false, error: { code: 'wrong_state' } });
    expect(await c.request({ type: 'start', mode: 'video', interests: [], countries: [] })).toMatchObject({
      ok: false,
      error: { code: 'wrong_state', message: expect.stringMatching(/camera/) },
    });
    expect(await c.request({ type: 'media.connect', direction: 'send', dtlsParameters: {} })).toMatchObject({
      ok: false,
      error: { code: 'wrong_state' },
    });
    await c.close();
    await bystandersStillTalk();
  });

  it('refuses malformed rtpCapabilities with bad_message and keeps the transports it had', async () => {
    const c = await TestClient.connect(server.app.url);
    const capabilities = await c.request({ type: 'media.capabilities' });
    const { routerRtpCapabilities } = (capabilities as { data: { routerRtpCapabilities: Record<string, unknown> } }).data;
    const first = await c.request({ type: 'media.transports', rtpCapabilities: routerRtpCapabilities });
    const { send, recv } = (first as { data: { send: { id: string }; recv: { id: string } } }).data;
    for (const rtpCapabilities of [{ codecs: 'vp8' }, { codecs: [{ kind: 'video' }] }, { ...routerRtpCapabilities, headerExtensions: [null] }]) {
      expect(await c.request({ type: 'media.transports', rtpCapabilities })).toMatchObject({ ok: false, error: { code: 'bad_message' } });
    }
    const dump = await server.app.pool.slots[0]!.router.dump();
    expect((dump as { transportIds: string[] }).transportIds.sort()).toEqual([send.id, recv.id].sort());
    await c.close();
  });

  it('closes the socket with 1009 on an oversize frame', async () => {
    const c = await TestClient.connect(server.app.url);
    c.sendRaw(JSON.stringify({ type: 'chat', id: 1, text: 'x'.repeat(8000) }));
    expect((await c.closed()).code).toBe(1009);
    await bystandersStillTalk();
  });

  it('rate-limits a burst, then disconnects a flood with a reason', async () => {
    const c = await TestClient.connect(server.app.url);
    for (let i = 0; i < 60; i++) c.sendRaw(JSON.stringify({ type: 'typing', id: i, typing: false }));
    const closed = await c.closed();
    expect(c.received.some((m) => m.type === 'response' && !m.ok && m.error.code === 'rate_limited' && m.id >= 10)).toBe(true);
    expect(c.received.find((m) => m.type === 'closing')).toMatchObject({ reason: 'flooding' });
    expect(closed).toEqual({ code: 4001, reason: 'flooding' });
    await bystandersStillTalk();
  });

  it('refuses an upgrade from another origin, or with none', async () => {
    for (const origin of ['https://evil.example', null]) {
      const ws = new WebSocket(server.app.url.replace('http', 'ws') + '/ws', { headers: origin ? { Origin: origin } : {} });
      const [error] = (await once(ws, 'error')) as [Error];
      expect(error.message).toMatch(/403/);
    }
    await bystandersStillTalk();
  });
});
