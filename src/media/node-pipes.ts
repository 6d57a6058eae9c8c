import type { types } from 'mediasoup';
import type { NodeBus } from '../cluster/node-bus.js';
import { logger } from '../logging/logger.js';
import type { ExportedProducer, NodeReplyData, NodeRequest, PipeEndpoint } from '../protocol/node-messages.js';

const log = logger('node-pipes');

export interface NodePipesOptions {
  /** This node's internal address: pipes listen here and other nodes send to it. */
  listenIp: string;
  /** Finds one of this node's routers by id (undefined when its worker has gone). */
  routerById: (id: string) => types.Router | undefined;
}

/** One end of a pipe between this node and another. */
interface Pipe {
  node: string;
  transport: types.PipeTransport;
  /** The id of the other node's end of this pipe. */
  remoteTransportId: string;
}

/**
 * mediasoup PipeTransports between this node's routers and other nodes' routers, over the nodes'
 * internal addresses with SRTP and RTX. A pipe carries media one way, from the node that opened it:
 * one per (local router, remote router) and direction, opened on first use and reused by every
 * later pair. A producer is piped once per pipe and stays piped while it lives. A pipe closes with
 * its router (the other end is told), or when the node at the other end goes.
 */
export class NodePipes {
  readonly #bus: NodeBus;
  readonly #options: NodePipesOptions;
  /** Both directions, by the local transport's id. */
  readonly #pipes = new Map<string, Pipe>();
  /** Pipes this node opened, by "local router>node:remote router". */
  readonly #outgoing = new Map<string, Promise<Pipe>>();
  readonly #exports = new Map<string, Promise<types.Consumer>>();
  readonly #imports = new Map<string, Promise<types.Producer>>();

  constructor(bus: NodeBus, options: NodePipesOptions) {
    this.#bus = bus;
    this.#options = options;
    bus.onRequest('pipe.open', (request, from) => this.#accept(from, request));
    bus.onEvent('pipe.producerclosed', (event, from) => {
      if (this.#pipes.get(event.transportId)?.node !== from) return;
      void this.#imports.get(`${event.transportId}:${event.producerId}`)?.then(
        (producer) => producer.close(),
        () => undefined,
      );
    });
    bus.onEvent('pipe.closed', (event, from) => {
      const pipe = this.#pipes.get(event.transportId);
      if (pipe?.node === from) pipe.transport.close();
    });
  }

  /** Pipe transports open now (both directions), for metrics and leak checks. */
  get transportCount(): number {
    return this.#pipes.size;
  }

  /**
   * Sends `producers` (of `router`) to router `toRouterId` of node `toNode`: the pipe's far end and
   * what the far node needs to produce them there (see importFrom()).
   */
  async exportTo(router: types.Router, producers: readonly types.Producer[], toNode: string, toRouterId: string): Promise<NodeReplyData['media.export']> {
    const pipe = await this.#outgoingPipe(router, toNode, toRouterId);
    const exported: ExportedProducer[] = [];
    for (const producer of producers) {
      const consumer = await this.#exportOne(pipe, producer);
      exported.push({
        id: producer.id,
        kind: consumer.kind,
        rtpParameters: consumer.rtpParameters,
        paused: producer.paused,
      });
    }
    return { transportId: pipe.remoteTransportId, producers: exported };
  }

  /** Produces on this node's end of an incoming pipe what another node exported to it; the producer ids. */
  async importFrom(fromNode: string, exported: NodeReplyData['media.export']): Promise<string[]> {
    const pipe = this.#pipes.get(exported.transportId);
    if (pipe?.node !== fromNode) throw new Error(`no pipe ${exported.transportId} from node ${fromNode}`);
    const ids: string[] = [];
    for (const producer of exported.producers) {
      const key = `${exported.transportId}:${producer.id}`;
      let pending = this.#imports.get(key);
      if (!pending) {
        pending = pipe.transport.produce({
          id: producer.id,
          kind: producer.kind,
          rtpParameters: producer.rtpParameters as unknown as types.RtpParameters,
          paused: producer.paused,
        });
        this.#imports.set(key, pending);
        pending.then(
          (pipeProducer) => pipeProducer.observer.once('close', () => this.#imports.delete(key)),
          () => this.#imports.delete(key),
        );
      }
      ids.push((await pending).id);
    }
    return ids;
  }

  /** Closes every pipe to and from a node that went away (without telling it). */
  closeNode(nodeId: string): void {
    for (const pipe of [...this.#pipes.values()]) {
      if (pipe.node !== nodeId) continue;
      this.#pipes.delete(pipe.transport.id);
      pipe.transport.close();
    }
  }

  async #outgoingPipe(router: types.Router, toNode: string, toRouterId: string): Promise<Pipe> {
    const key = `${router.id}>${toNode}:${toRouterId}`;
    let pending = this.#outgoing.get(key);
    if (!pending) {
      pending = this.#open(router, toNode, toRouterId);
      this.#outgoing.set(key, pending);
      pending.then(
        (pipe) => pipe.transport.observer.once('close', () => this.#outgoing.delete(key)),
        () => this.#outgoing.delete(key),
      );
    }
    return pending;
  }

  async #open(router: types.Router, toNode: string, toRouterId: string): Promise<Pipe> {
    const started = Date.now();
    const transport = await this.#createTransport(router);
    try {
      const far = await this.#bus.request(toNode, {
        type: 'pipe.open',
        fromRouterId: router.id,
        fromTransportId: transport.id,
        toRouterId,
        endpoint: endpointOf(transport),
      });
      await transport.connect(far.endpoint as Parameters<types.PipeTransport['connect']>[0]);
      const pipe = this.#keep({ node: toNode, transport, remoteTransportId: far.transportId });
      log.info({ node: toNode, ms: Date.now() - started }, 'pipe opened');
      return pipe;
    } catch (error) {
      transport.close();
      throw error;
    }
  }

  async #accept(fromNode: string, request: Extract<NodeRequest, { type: 'pipe.open' }>): Promise<NodeReplyData['pipe.open']> {
    const router = this.#options.routerById(request.toRouterId);
    if (!router) throw new Error(`router ${request.toRouterId} is not on this node (any more)`);
    const transport = await this.#createTransport(router);
    try {
      await transport.connect(request.endpoint as Parameters<types.PipeTransport['connect']>[0]);
    } catch (error) {
      transport.close();
      throw error;
    }
    this.#keep({ node: fromNode, transport, remoteTransportId: request.fromTransportId });
    log.debug({ node: fromNode, fromRouterId: request.fromRouterId }, 'pipe accepted');
    return { transportId: transport.id, endpoint: endpointOf(transport) };
  }

  /** Tracks a pipe until it closes; a close on this side (a router or worker gone) is told to the other node. */
  #keep(pipe: Pipe): Pipe {
    this.#pipes.set(pipe.transport.id, pipe);
    pipe.transport.observer.once('close', () => {
      if (!this.#pipes.delete(pipe.transport.id)) return;
      void this.#bus.send(pipe.node, { type: 'pipe.closed', transportId: pipe.remoteTransportId });
    });
    return pipe;
  }

  async #exportOne(pipe: Pipe, producer: types.Producer): Promise<types.Consumer> {
    const key = `${pipe.transport.id}:${producer.id}`;
    let pending = this.#exports.get(key);
    if (!pending) {
      pending = pipe.transport.consume({ producerId: producer.id });
      this.#exports.set(key, pending);
      pending.then(
        (consumer) =>
          consumer.observer.once('close', () => {
            this.#exports.delete(key);
            if (!pipe.transport.closed) {
              void this.#bus.send(pipe.node, { type: 'pipe.producerclosed', transportId: pipe.remoteTransportId, producerId: producer.id });
            }
          }),
        () => this.#exports.delete(key),
      );
    }
    return pending;
  }

  async #createTransport(router: types.Router): Promise<types.PipeTransport> {
    return router.createPipeTransport({ listenIp: this.#options.listenIp, enableRtx: true, enableSrtp: true, enableSctp: false });
  }
}

function endpointOf(transport: types.PipeTransport): PipeEndpoint {
  const { localIp, localPort } = transport.tuple;
  return { ip: localIp, port: localPort, ...(transport.srtpParameters ? { srtpParameters: { ...transport.srtpParameters } } : {}) };
}
