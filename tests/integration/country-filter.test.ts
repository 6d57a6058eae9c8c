import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { TestClient } from '../support/ws-client.js';

/** Addresses from the offline database's well-known ranges, sent through a trusted proxy header. */
const GB = '81.2.69.142';
const US = '8.8.8.8';

describe('country filter', () => {
  let server: TestApp;
  const clients: TestClient[] = [];
  const connectFrom = async (address: string): Promise<TestClient> => {
    const client = await TestClient.connect(server.app.url, { headers: { 'X-Forwarded-For': address } });
    clients.push(client);
    return client;
  };
  beforeEach(async () => {
    server = await startTestApp({ mediasoupWorkers: 1, trustedProxies: ['127.0.0.1'] });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.close();
  });

  it('pairs a chatter only with the chosen countries and shows the country only to the one who filters', async () => {
    const filterer = await connectFrom(US);
    await filterer.request({ type: 'start', mode: 'text', interests: [], countries: ['GB'] });
    await filterer.next('waiting');
    const us = await connectFrom(US);
    await us.request({ type: 'start', mode: 'text', interests: [], countries: [] });
    await us.next('waiting');
    const gb = await connectFrom(GB);
    await gb.request({ type: 'start', mode: 'text', interests: [], countries: [] });

    const [mine, theirs] = await Promise.all([filterer.next('paired'), gb.next('paired')]);
    expect(mine.partnerCountry).toBe('GB');
    expect(theirs.partnerCountry).toBeUndefined();
    expect(us.received.some((m) => m.type === 'paired')).toBe(false);
  });
});
