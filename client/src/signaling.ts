import {
  GAVE_UP_CLOSE_CODE,
  closeReasonOf,
  type ClientMessage,
  type ClientMessageType,
  type CloseReason,
  type ResponseData,
  type ResumedState,
  type ServerMessage,
} from '../../src/protocol/messages.js';
import { reconnectDelayMs } from './backoff.js';
import { Emitter } from './emitter.js';
import { ConnectionLostError, RequestError, RequestTimeoutError } from './errors.js';
import { livenessVerdict, RESUME_WELCOME_TIMEOUT_MS, WELCOME_TIMEOUT_MS } from './liveness.js';
import { parseServerMessage } from './server-messages.js';

/** The fields of a client message besides `type` and `id` (which the Signaling adds). */
export type RequestBody<K extends ClientMessageType> = Omit<Extract<ClientMessage, { type: K }>, 'id' | 'type'>;

/** What media and session code need from the signaling: one request, one typed answer. */
export interface Requester {
  request<K extends ClientMessageType>(type: K, body: RequestBody<K>): Promise<ResponseData[K]>;
}

export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';
export type Push = Exclude<ServerMessage, { type: 'response' } | { type: 'alive' }>;

export type SignalingEvents = {
  status: [ConnectionStatus];
  /** Any server push (welcome included). */
  push: [Push];
  /** A socket that had been welcomed is gone: everything the server held for us is gone too. */
  lost: [];
  /** A welcomed socket dropped: reconnecting, and trying to resume the same chatter (docs/resume.md). */
  dropped: [];
  /** The server took us back after a drop: same chatter, same partner if `state` is 'paired'. */
  resumed: [ResumedState];
};

export interface SignalingOptions {
  url: string;
  /** How long a request may wait for its response. Default 15 s. */
  requestTimeoutMs?: number;
}

/** The close code of a socket given up here, as the browser reports a connection that died. */
const ABNORMAL_CLOSURE = 1006;
/** Server close reasons after which reconnecting by ourselves would be wrong. */
const NO_RECONNECT: ReadonlySet<CloseReason> = new Set<CloseReason>(['flooding', 'abuse', 'replaced', 'banned']);
interface Pending {
  resolve: (data: unknown) => void;
  reject: (error: Error) => void;
  timer: number;
}

/**
 * The WebSocket to the server: request/response matched by an increasing id, pushes as events, and
 * reconnection with exponential backoff (1 s, 2 s, 4 s … 15 s) unless the server said not to. A
 * socket the server has gone silent on (client/src/liveness.ts), or that is not welcomed in time, is
 * given up as if it had dropped.
 */
export class Signaling extends Emitter<SignalingEvents> implements Requester {
  readonly #url: string;
  readonly #timeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  #socket: WebSocket | null = null;
  #nextId = 1;
  #attempt = 0;
  #welcomed = false;
  #retryTimer: number | null = null;
  /** Gives up a socket not welcomed in time. */
  #welcomeTimer: number | null = null;
  /** Checks the welcomed socket for silence. */
  #livenessTimer: number | null = null;
  #lastFrameAt = 0;
  #status: ConnectionStatus = 'connecting';
  #stopReason: CloseReason | null = null;
  /** This page's resume token: in memory only, so a reload is a new visit. */
  #resumeToken: string | null = null;
  /** The node that welcomed us: a resume asks the front door for it (config/haproxy.cfg). */
  #node: string | null = null;
  /** The token to present on the next welcome, after a drop. */
  #resumeWith: string | null = null;

  constructor(options: SignalingOptions) {
    super();
    this.#url = options.url;
    this.#timeoutMs = options.requestTimeoutMs ?? 15_000;
    // Back on a network (or on another one): whatever attempt is waiting or hanging goes now.
    window.addEventListener('online', () => this.#retryNow());
  }

  /** `ws(s)://<this host>/ws`. */
  static defaultUrl(): string {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    return `${scheme}://${location.host}/ws`;
  }

  get status(): ConnectionStatus {
    return this.#status;
  }

  /** Why the server closed us for good (status 'closed'), if it did. */
  get stopReason(): CloseReason | null {
    return this.#stopReason;
  }

  /** True once the server's `welcome` arrived on the current socket. */
  get ready(): boolean {
    return this.#welcomed && this.#status === 'open';
  }

  /**
   * After a drop: true once the server took us back, false when it did not (a new visit). False at
   * once when no resume is under way. A request that failed with the drop can wait on it to go again.
   */
  afterDrop(): Promise<boolean> {
    if (this.#resumeWith === null) return Promise.resolve(false);
    return new Promise((resolve) => {
      const settle = (resumed: boolean): void => {
        offResumed();
        offLost();
        resolve(resumed);
      };
      const offResumed = this.on('resumed', () => settle(true));
      const offLost = this.on('lost', () => settle(false));
    });
  }

  /** Gives up resuming after a drop (nothing worth resuming): the drop is a lost connection. */
  abandonResume(): void {
    if (this.#resumeWith === null) return;
    this.#resumeWith = null;
    this.emit('lost');
  }

  /** Opens the socket (again). Also the manual "Reconnect" after the server closed us. */
  connect(): void {
    if (this.#socket) return;
    this.#clearRetry();
    this.#stopReason = null;
    this.#setStatus(this.#attempt === 0 && this.#status === 'connecting' ? 'connecting' : 'reconnecting');
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.#resumeWith !== null && this.#node !== null ? withNode(this.#url, this.#node) : this.#url);
    } catch (error) {
      console.warn('connect() | cannot open the WebSocket', error);
      this.#scheduleRetry();
      return;
    }
    this.#socket = socket;
    const resuming = this.#resumeWith !== null;
    this.#welcomeTimer = window.setTimeout(
      () => {
        console.warn('connect() | no welcome in time, opening the socket again');
        this.#giveUp(socket, resuming ? 0 : undefined);
      },
      resuming ? RESUME_WELCOME_TIMEOUT_MS : WELCOME_TIMEOUT_MS,
    );
    socket.addEventListener('message', (event) => this.#onMessage(socket, event));
    socket.addEventListener('close', (event) => this.#onClose(socket, event.code));
  }

  request<K extends ClientMessageType>(type: K, body: RequestBody<K>): Promise<ResponseData[K]> {
    const socket = this.#socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new ConnectionLostError(`${type}: not connected`));
    }
    const id = this.#nextId++;
    return new Promise<ResponseData[K]>((resolve, reject) => {
      const timer = window.setTimeout(() => {
        this.#pending.delete(id);
        reject(new RequestTimeoutError(`${type}: no answer in ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#pending.set(id, { resolve: resolve as (data: unknown) => void, reject, timer });
      socket.send(JSON.stringify({ ...body, type, id }));
    });
  }

  #onMessage(socket: WebSocket, event: MessageEvent): void {
    if (socket !== this.#socket) return;
    this.#lastFrameAt = performance.now();
    const message = parseServerMessage(event.data);
    if (!message) {
      console.warn('onMessage() | ignored a frame that is not a protocol message');
      return;
    }
    switch (message.type) {
      case 'response': {
        const pending = this.#pending.get(message.id);
        if (!pending) return;
        this.#pending.delete(message.id);
        window.clearTimeout(pending.timer);
        if (message.ok) pending.resolve(message.data);
        else pending.reject(new RequestError(message.error.code, message.error.message));
        return;
      }
      case 'alive':
        return;
      case 'welcome':
        this.#welcomed = true;
        this.#attempt = 0;
        this.#clearWelcomeTimer();
        this.#watchLiveness(socket, message.aliveEveryMs);
        this.#resumeToken = message.resumeToken;
        this.#node = message.node;
        if (this.#resumeWith !== null) {
          void this.#resume(this.#resumeWith, message);
          return;
        }
        this.#setStatus('open');
        break;
      case 'closing':
        if (NO_RECONNECT.has(message.reason)) this.#stopReason = message.reason;
        break;
      default:
        break;
    }
    this.emit('push', message);
  }

  /** Checks the welcomed socket twice per promised interval; a dead one is given up. */
  #watchLiveness(socket: WebSocket, aliveEveryMs: number): void {
    const checkEveryMs = aliveEveryMs / 2;
    let lastCheckAt = performance.now();
    this.#livenessTimer = window.setInterval(() => {
      const now = performance.now();
      const verdict = livenessVerdict({ sinceLastFrameMs: now - this.#lastFrameAt, sinceLastCheckMs: now - lastCheckAt, checkEveryMs, aliveEveryMs });
      lastCheckAt = now;
      if (verdict !== 'dead') return;
      console.warn(`liveness | nothing from the server in ${Math.round(now - this.#lastFrameAt)} ms: the connection is dead`);
      this.#giveUp(socket);
    }, checkEveryMs);
  }

  /**
   * Treats the socket as dropped now rather than when the browser notices (minutes, on a network
   * that vanished): reconnect after `retryInMs` (default: the backoff), resuming if it was welcomed.
   */
  #giveUp(socket: WebSocket, retryInMs?: number): void {
    if (socket !== this.#socket) return;
    this.#onClose(socket, ABNORMAL_CLOSURE, retryInMs);
    // Should this frame still reach the server, it must read it as a drop and keep the chat for the resume.
    socket.close(GAVE_UP_CLOSE_CODE);
  }

  #onClose(socket: WebSocket, code: number, retryInMs?: number): void {
    if (socket !== this.#socket) return;
    this.#socket = null;
    this.#clearWelcomeTimer();
    if (this.#livenessTimer !== null) window.clearInterval(this.#livenessTimer);
    this.#livenessTimer = null;
    const wasWelcomed = this.#welcomed;
    this.#welcomed = false;
    for (const [id, pending] of this.#pending) {
      window.clearTimeout(pending.timer);
      pending.reject(new ConnectionLostError(`request ${id}: the connection closed`));
    }
    this.#pending.clear();
    const reason = closeReasonOf(code);
    // The close code stands in for the `closing` push, in case that was lost.
    this.#stopReason ??= reason !== null && NO_RECONNECT.has(reason) ? reason : null;
    if (this.#stopReason !== null) this.#setStatus('closed');
    else this.#scheduleRetry(retryInMs);
    if (!wasWelcomed) return;
    if (this.#stopReason === null && this.#resumeToken !== null && this.#resumeWith === null) {
      this.#resumeWith = this.#resumeToken;
      this.emit('dropped');
      return;
    }
    if (this.#resumeWith === null) this.emit('lost');
  }

  /** The first request on a new socket after a drop; refused (or failed): a new visit, as before. */
  async #resume(token: string, welcome: Push): Promise<void> {
    try {
      const resumed = await this.request('resume', { token });
      this.#resumeWith = null;
      this.#resumeToken = resumed.token;
      this.#setStatus('open');
      this.emit('resumed', resumed);
    } catch (error) {
      // The socket closed meanwhile: the next welcome tries again with the same token.
      if (error instanceof ConnectionLostError) return;
      console.warn('resume | refused, starting a new visit', error);
      this.#resumeWith = null;
      this.#setStatus('open');
      this.emit('lost');
      this.emit('push', welcome);
    }
  }

  #scheduleRetry(delay = reconnectDelayMs(this.#attempt, Math.random())): void {
    this.#attempt++;
    this.#setStatus('reconnecting');
    this.#clearRetry();
    this.#retryTimer = window.setTimeout(() => {
      this.#retryTimer = null;
      this.connect();
    }, delay);
  }

  #retryNow(): void {
    const hanging = this.#socket !== null && !this.#welcomed ? this.#socket : null;
    if (hanging) this.#giveUp(hanging, 0);
    if (this.#retryTimer === null) return;
    this.#clearRetry();
    this.connect();
  }

  #clearWelcomeTimer(): void {
    if (this.#welcomeTimer !== null) window.clearTimeout(this.#welcomeTimer);
    this.#welcomeTimer = null;
  }

  #clearRetry(): void {
    if (this.#retryTimer !== null) window.clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
  }

  #setStatus(status: ConnectionStatus): void {
    if (status === this.#status) return;
    this.#status = status;
    this.emit('status', status);
  }
}

/** The signaling URL asking the front door for one node (HAProxy's use-server on url_param node). */
function withNode(url: string, node: string): string {
  const target = new URL(url);
  target.searchParams.set('node', node);
  return target.toString();
}
