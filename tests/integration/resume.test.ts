import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { GAVE_UP_CLOSE_CODE } from '../../src/protocol/messages.js';
import { pairText, TestClient } from '../support/ws-client.js';

type Welcome = { type: 'welcome'; resumeToken: string };

/** The token a client was given in its welcome. */
function tokenOf(client: TestClient): string {
  const welcome = client.received.find((m): m is Welcome & (typeof client.received)[number] => m.type === 'welcome');
  if (!welcome) throw new Error('no welcome received');
  return welcome.resumeToken;
}

/** The socket goes away without a close frame, as when the network drops. */
async function drop(client: TestClient): Promise<void> {
  const closed = client.closed();
  client.ws.terminate();
  await closed;
}

describe('resuming a chatter after its connection drops', () => {
  let server: TestApp;
  const clients: TestClient[] = [];
  const connect = async (): Promise<TestClient> => {
    const client = await TestClient.connect(server.app.url);
    clients.push(client);
    return client;
  };

  const online = async (): Promise<number> => ((await (await fetch(server.app.url + '/api/online')).json()) as { online: number }).online;

  /** A server with this grace, a and b chatting, then a's network gone: b was told. a's token. */
  const pairThenDrop = async (resumeGraceMs: number): Promise<{ a: TestClient; b: TestClient; token: string }> => {
    server = await startTestApp({ mediasoupWorkers: 1, resumeGraceMs });
    const a = await connect();
    const b = await connect();
    await pairText(a, b);
    const token = tokenOf(a);
    await drop(a);
    await b.next('partner.reconnecting');
    return { a, b, token };
  };

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.close();
  });

  it('keeps the partner through a drop: reconnecting, resumed with the token, back, and text flows both ways', async () => {
    const { a, b, token } = await pairThenDrop(10_000);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.ws.readyState).toBe(a.ws.CLOSED);

    const a2 = await connect();
    expect(tokenOf(a2)).not.toBe(token);
    const resumed = await a2.request({ type: 'resume', token });
    expect(resumed).toMatchObject({ ok: true, data: { state: 'paired', iceParameters: null } });
    const next = (resumed as { data: { token: string } }).data.token;
    expect(next).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(next).not.toBe(token);
    await b.next('partner.back');

    expect(await a2.request({ type: 'chat', text: 'sorry, my wifi' })).toMatchObject({ ok: true });
    expect(await b.next('chat')).toEqual({ type: 'chat', text: 'sorry, my wifi' });
    await b.request({ type: 'chat', text: 'welcome back' });
    expect(await a2.next('chat')).toEqual({ type: 'chat', text: 'welcome back' });
    expect(b.received.some((m) => m.type === 'partner.left')).toBe(false);

    // The resumed chatter counts once, not twice (the online count follows the node heartbeat).
    await vi.waitFor(async () => expect(await online()).toBe(2), { timeout: 10_000, interval: 200 });
  });

  it('refuses a wrong token and a token already used, and the refused socket can start a new visit', async () => {
    const { b, token } = await pairThenDrop(10_000);

    const stranger = await connect();
    const wrong = await stranger.request({ type: 'resume', token: 'A'.repeat(43) });
    expect(wrong).toMatchObject({ ok: false, error: { code: 'resume_refused' } });
    expect((wrong as { error: { message: string } }).error.message).toMatch(/not valid/);
    const malformed = await stranger.request({ type: 'resume', token: 'short' });
    expect(malformed).toMatchObject({ ok: false, error: { code: 'bad_message' } });

    const a2 = await connect();
    expect(await a2.request({ type: 'resume', token })).toMatchObject({ ok: true });
    await b.next('partner.back');

    const replay = await connect();
    expect(await replay.request({ type: 'resume', token })).toMatchObject({ ok: false, error: { code: 'resume_refused' } });
    // A refused socket is a new visit: it can chat with someone else.
    const c = await connect();
    await pairText(replay, c);
    await replay.request({ type: 'chat', text: 'new visit' });
    expect(await c.next('chat')).toEqual({ type: 'chat', text: 'new visit' });
    expect(b.received.some((m) => m.type === 'chat' && m.text === 'new visit')).toBe(false);
  });

  it('tells the partner the chat ended as a disconnect when the grace runs out, and forgets the token', async () => {
    const { b, token } = await pairThenDrop(500);
    expect(await b.next('partner.left')).toEqual({ type: 'partner.left', reason: 'disconnected' });
    expect(await b.request({ type: 'start', mode: 'text', interests: [], countries: [] })).toMatchObject({ ok: true });
    await b.next('waiting');

    const late = await connect();
    expect(await late.request({ type: 'resume', token })).toMatchObject({ ok: false, error: { code: 'resume_refused' } });
    await vi.waitFor(async () => expect(await online()).toBe(2), { timeout: 10_000, interval: 200 });
  });

  it("keeps the partner when the page's give-up close frame arrives (it judged the connection dead and will resume)", async () => {
    server = await startTestApp({ mediasoupWorkers: 1, resumeGraceMs: 10_000 });
    const a = await connect();
    const b = await connect();
    await pairText(a, b);
    const token = tokenOf(a);
    const closed = a.closed();
    a.ws.close(GAVE_UP_CLOSE_CODE);
    await closed;
    await b.next('partner.reconnecting');
    const a2 = await connect();
    expect(await a2.request({ type: 'resume', token })).toMatchObject({ ok: true, data: { state: 'paired' } });
    await b.next('partner.back');
    expect(b.received.some((m) => m.type === 'partner.left')).toBe(false);
  });

  it('treats a clean close (a reload) as leaving at once, and does nothing with a grace of 0', async () => {
    server = await startTestApp({ mediasoupWorkers: 1, resumeGraceMs: 10_000 });
    const a = await connect();
    const b = await connect();
    await pairText(a, b);
    await a.close();
    expect(await b.next('partner.left')).toEqual({ type: 'partner.left', reason: 'disconnected' });
    expect(b.received.some((m) => m.type === 'partner.reconnecting')).toBe(false);
    await server.close();

    server = await startTestApp({ mediasoupWorkers: 1, resumeGraceMs: 0 });
    const c = await connect();
    const d = await connect();
    await pairText(c, d);
    await drop(c);
    expect(await d.next('partner.left')).toEqual({ type: 'partner.left', reason: 'disconnected' });
    expect(d.received.some((m) => m.type === 'partner.reconnecting')).toBe(false);
  });
});
