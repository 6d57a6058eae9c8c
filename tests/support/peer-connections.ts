/**
 * Reads the ICE candidates of every RTCPeerConnection a page makes, in any browser engine: what
 * the privacy tests assert on (no browser is ever given another browser's address).
 */
import type { VeilPage } from './veil-page.js';

/** Where a script can be added that runs before a page's own scripts (playwright's BrowserContext, ./firefox.ts's FirefoxPage). */
export interface InitScriptTarget {
  addInitScript(script: string): Promise<unknown>;
}

/** Name of the page global that holds every RTCPeerConnection the page created. */
const PEER_CONNECTIONS_GLOBAL = '__veilTestPeerConnections';

/**
 * Makes every page of the context (a playwright BrowserContext, or a FirefoxPage) keep a list of
 * the RTCPeerConnections it creates, so that collectIceCandidates() can read their stats. Call
 * before the page loads the app.
 */
export async function trackPeerConnections(context: InitScriptTarget): Promise<void> {
  // A script string, not a function: the source of a function may be rewritten by the test
  // transform, and it runs in the page before any of the page's own scripts.
  await context.addInitScript(`(() => {
    const Native = window.RTCPeerConnection;
    if (!Native || window.${PEER_CONNECTIONS_GLOBAL}) return;
    const list = [];
    Object.defineProperty(window, '${PEER_CONNECTIONS_GLOBAL}', { value: list });
    window.RTCPeerConnection = class extends Native {
      constructor(...args) { super(...args); list.push(this); }
    };
  })();`);
}

export interface IceCandidateStats {
  readonly address: string;
  readonly port: number;
  readonly protocol: string;
  readonly candidateType: string;
}

export interface PageIceCandidates {
  /** Number of RTCPeerConnections the page created (open or closed). */
  readonly peerConnections: number;
  readonly local: readonly IceCandidateStats[];
  readonly remote: readonly IceCandidateStats[];
}

/**
 * The local and remote ICE candidates in getStats() of every RTCPeerConnection the page created
 * (needs trackPeerConnections() on its context). Read it while the connections are open: a
 * closed connection reports no candidates.
 */
export async function collectIceCandidates(page: VeilPage): Promise<PageIceCandidates> {
  return page.evaluate(async (globalName) => {
    const list = (window as unknown as Record<string, RTCPeerConnection[] | undefined>)[globalName] ?? [];
    const local: IceCandidateStats[] = [];
    const remote: IceCandidateStats[] = [];
    for (const pc of list) {
      const report = await pc.getStats();
      report.forEach((stat: Record<string, unknown>) => {
        if (stat['type'] !== 'local-candidate' && stat['type'] !== 'remote-candidate') return;
        const candidate = {
          // Inside the page: no helper functions of this module exist there.
          address: typeof stat['address'] === 'string' ? stat['address'] : typeof stat['ip'] === 'string' ? stat['ip'] : '',
          port: Number(stat['port'] ?? 0),
          protocol: typeof stat['protocol'] === 'string' ? stat['protocol'] : '',
          candidateType: typeof stat['candidateType'] === 'string' ? stat['candidateType'] : '',
        };
        (stat['type'] === 'local-candidate' ? local : remote).push(candidate);
      });
    }
    return { peerConnections: list.length, local, remote };
  }, PEER_CONNECTIONS_GLOBAL);
}

export interface SelectedCandidatePair {
  readonly local: IceCandidateStats;
  readonly remote: IceCandidateStats;
  readonly bytesReceived: number;
}

/**
 * The candidate pair each open RTCPeerConnection of the page uses (its transport's selected pair),
 * with the bytes it received (needs trackPeerConnections() on its context).
 */
export async function selectedCandidatePairs(page: VeilPage): Promise<SelectedCandidatePair[]> {
  return page.evaluate(async (globalName) => {
    const list = (window as unknown as Record<string, RTCPeerConnection[] | undefined>)[globalName] ?? [];
    const pairs: SelectedCandidatePair[] = [];
    for (const pc of list) {
      if (pc.connectionState === 'closed') continue;
      const stats = new Map<string, Record<string, unknown>>();
      (await pc.getStats()).forEach((stat: Record<string, unknown>) => stats.set(typeof stat['id'] === 'string' ? stat['id'] : '', stat));
      const byId = (id: unknown): Record<string, unknown> => (typeof id === 'string' ? (stats.get(id) ?? {}) : {});
      const candidate = (id: unknown): IceCandidateStats => {
        const stat = byId(id);
        return {
          address: typeof stat['address'] === 'string' ? stat['address'] : '',
          port: Number(stat['port'] ?? 0),
          protocol: typeof stat['protocol'] === 'string' ? stat['protocol'] : '',
          candidateType: typeof stat['candidateType'] === 'string' ? stat['candidateType'] : '',
        };
      };
      for (const stat of stats.values()) {
        if (stat['type'] !== 'transport' || stat['selectedCandidatePairId'] === undefined) continue;
        const pair = byId(stat['selectedCandidatePairId']);
        pairs.push({
          local: candidate(pair['localCandidateId']),
          remote: candidate(pair['remoteCandidateId']),
          bytesReceived: Number(pair['bytesReceived'] ?? 0),
        });
      }
    }
    return pairs;
  }, PEER_CONNECTIONS_GLOBAL);
}
