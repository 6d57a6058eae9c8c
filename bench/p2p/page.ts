/**
 * The P2P baseline's page: what a peer-to-peer roulette does on Next. The camera is opened once
 * (the same constraints as Veil's page) and kept; each partner gets a fresh RTCPeerConnection,
 * with offer, answer and trickled ICE candidates over bench/p2p/server.ts. Only UDP host
 * candidates on 127.0.0.1 are sent, so media stays on loopback.
 *
 * It speaks to the bench like Veil's page does: body[data-state] ('landing', 'idle', 'starting',
 * 'waiting', 'paired', 'partner-left'), a #next button, and window.__veilTest.recvStats() for the
 * first-frame probe of bench/first-frame.ts. Steps that are not signaling messages (ICE and DTLS
 * connected, the partner's video track) go into the trace of traceSignaling(), when it is there.
 */
import { CAMERA_CONSTRAINTS } from '../../client/src/camera.js';
import type { VeilTestHook } from '../../client/src/test-hook.js';
import { pageMessage, serverMessage, type PageMessage, type RelayedMessage, type ServerMessage } from './protocol.js';

type TraceWindow = Window & { __signalingTrace?: { at: number; step: string }[] };

function mark(step: string): void {
  (window as TraceWindow).__signalingTrace?.push({ at: performance.now(), step });
}

function setState(state: string): void {
  document.body.dataset.state = state;
}

function isLoopbackUdp(candidate: RTCIceCandidate): boolean {
  return candidate.address === '127.0.0.1' && candidate.protocol === 'udp';
}

/** One partner: a fresh RTCPeerConnection carrying the kept camera stream both ways. */
class Call {
  readonly pc = new RTCPeerConnection({ iceServers: [] });
  /** Signaling is applied in the order it came (an early candidate waits for the offer). */
  #queue: Promise<void> = Promise.resolve();

  constructor(stream: MediaStream, video: HTMLVideoElement, offerer: boolean, send: (message: PageMessage) => void) {
    for (const track of stream.getTracks()) this.pc.addTrack(track, stream);
    this.pc.addEventListener('icecandidate', ({ candidate }) => {
      if (candidate && isLoopbackUdp(candidate)) send({ type: 'candidate', candidate: candidate.toJSON() as RelayedCandidate });
    });
    this.pc.addEventListener('iceconnectionstatechange', () => {
      if (this.pc.iceConnectionState === 'connected') mark('· ICE connected');
    });
    this.pc.addEventListener('connectionstatechange', () => {
      if (this.pc.connectionState === 'connected') mark('· DTLS connected');
    });
    this.pc.addEventListener('track', ({ track, streams }) => {
      if (track.kind !== 'video') return;
      mark('· partner video track');
      video.srcObject = streams[0] ?? new MediaStream([track]);
    });
    if (offerer)
      this.#apply(async () => {
        await this.pc.setLocalDescription(await this.pc.createOffer());
        send({ type: 'offer', sdp: this.pc.localDescription?.sdp ?? '' });
      }, send);
  }

  receive(message: RelayedMessage, send: (message: PageMessage) => void): void {
    this.#apply(async () => {
      switch (message.type) {
        case 'offer':
          await this.pc.setRemoteDescription({ type: 'offer', sdp: message.sdp });
          await this.pc.setLocalDescription(await this.pc.createAnswer());
          send({ type: 'answer', sdp: this.pc.localDescription?.sdp ?? '' });
          return;
        case 'answer':
          await this.pc.setRemoteDescription({ type: 'answer', sdp: message.sdp });
          return;
        case 'candidate':
          await this.pc.addIceCandidate(message.candidate);
          return;
      }
    }, send);
  }

  #apply(step: () => Promise<void>, send: (message: PageMessage) => void): void {
    this.#queue = this.#queue.then(step).catch((error: unknown) => {
      mark(`· failed: ${String(error)}`);
      setState('error');
      send({ type: 'next' });
    });
  }

  close(): void {
    this.pc.close();
  }
}

type RelayedCandidate = Extract<RelayedMessage, { type: 'candidate' }>['candidate'];

async function main(): Promise<void> {
  const stream = await navigator.mediaDevices.getUserMedia(CAMERA_CONSTRAINTS);
  const video = document.querySelector<HTMLVideoElement>('#partner');
  const button = document.querySelector<HTMLButtonElement>('#next');
  if (!video || !button) throw new Error('the page lacks #partner or #next');
  const socket = new WebSocket(`ws://${location.host}/ws`);
  const send = (message: PageMessage): void => socket.send(JSON.stringify(pageMessage.parse(message)));
  let call: Call | undefined;

  const testHook: VeilTestHook = {
    recvStats: async () => {
      try {
        return call ? [...(await call.pc.getStats()).values()] : [];
      } catch {
        return [];
      }
    },
    sendStats: async () => [],
  };
  window.__veilTest = testHook;

  const onMessage = (message: ServerMessage): void => {
    switch (message.type) {
      case 'waiting':
        setState('waiting');
        return;
      case 'paired':
        call?.close();
        call = new Call(stream, video, message.offerer, send);
        setState('paired');
        return;
      case 'partner-left':
        call?.close();
        call = undefined;
        video.srcObject = null;
        setState('partner-left');
        return;
      case 'offer':
      case 'answer':
      case 'candidate':
        call?.receive(message, send);
        return;
    }
  };
  socket.addEventListener('message', (event: MessageEvent) => {
    const message = serverMessage.safeParse(typeof event.data === 'string' ? (JSON.parse(event.data) as unknown) : undefined);
    if (message.success) onMessage(message.data);
    else setState('error');
  });
  button.addEventListener('click', () => {
    call?.close();
    call = undefined;
    video.srcObject = null;
    setState('starting');
    send({ type: 'next' });
  });
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new Error('the signaling socket failed')), { once: true });
  });
  setState('idle');
}

main().catch((error: unknown) => {
  document.body.dataset.error = String(error);
  setState('error');
});
