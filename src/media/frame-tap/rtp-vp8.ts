/**
 * Pure RTP and VP8 (RFC 3550, RFC 7741) parsing, and the reassembly of one VP8 keyframe from its
 * RTP packets. No I/O, so it is tested case by case.
 */

/** The fields of an RTP packet the frame tap needs; `payload` is a view, not a copy. */
export interface RtpPacket {
  readonly payloadType: number;
  readonly marker: boolean;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly payload: Uint8Array;
}

/** Parses an RTP packet (header, CSRCs, header extension, padding); undefined when malformed. */
export function parseRtp(packet: Uint8Array): RtpPacket | undefined {
  if (packet.length < 12 || packet[0]! >> 6 !== 2) return undefined;
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const hasPadding = (packet[0]! & 0x20) !== 0;
  const hasExtension = (packet[0]! & 0x10) !== 0;
  let offset = 12 + 4 * (packet[0]! & 0x0f);
  if (hasExtension) {
    if (packet.length < offset + 4) return undefined;
    offset += 4 + 4 * view.getUint16(offset + 2);
  }
  let end = packet.length;
  if (hasPadding) end -= packet[packet.length - 1]!;
  if (end < offset) return undefined;
  return {
    payloadType: packet[1]! & 0x7f,
    marker: (packet[1]! & 0x80) !== 0,
    sequenceNumber: view.getUint16(2),
    timestamp: view.getUint32(4),
    payload: packet.subarray(offset, end),
  };
}

/** A VP8 RTP payload split into its descriptor flags and the VP8 bitstream bytes it carries. */
export interface Vp8Payload {
  /** S bit: this packet starts a VP8 partition. */
  readonly start: boolean;
  /** PID: the partition index; a frame starts at start && partitionId === 0. */
  readonly partitionId: number;
  readonly data: Uint8Array;
}

/** Strips the VP8 payload descriptor (RFC 7741 section 4.2); undefined when malformed. */
export function parseVp8Payload(payload: Uint8Array): Vp8Payload | undefined {
  if (payload.length < 1) return undefined;
  const first = payload[0]!;
  let offset = 1;
  if (first & 0x80) {
    const ext = payload[offset++];
    if (ext === undefined) return undefined;
    if (ext & 0x80) {
      const picture = payload[offset];
      if (picture === undefined) return undefined;
      offset += picture & 0x80 ? 2 : 1;
    }
    if (ext & 0x40) offset += 1; // TL0PICIDX
    if (ext & 0x30) offset += 1; // TID / Y / KEYIDX
  }
  if (offset > payload.length) return undefined;
  return { start: (first & 0x10) !== 0, partitionId: first & 0x07, data: payload.subarray(offset) };
}

/** Width and height of a VP8 keyframe, from its uncompressed header (RFC 6386 section 9.1). */
export interface Vp8KeyframeInfo {
  readonly width: number;
  readonly height: number;
}

/** Reads a VP8 frame's header: the size when it is a keyframe, undefined for an inter frame. */
export function vp8KeyframeInfo(frame: Uint8Array): Vp8KeyframeInfo | undefined {
  if (frame.length < 10 || (frame[0]! & 0x01) !== 0) return undefined;
  if (frame[3] !== 0x9d || frame[4] !== 0x01 || frame[5] !== 0x2a) return undefined;
  const width = (frame[6]! | (frame[7]! << 8)) & 0x3fff;
  const height = (frame[8]! | (frame[9]! << 8)) & 0x3fff;
  return width > 0 && height > 0 ? { width, height } : undefined;
}

/** A whole VP8 keyframe, ready for an IVF container. */
export interface Vp8Keyframe extends Vp8KeyframeInfo {
  readonly data: Uint8Array;
  readonly rtpTimestamp: number;
}

/**
 * Collects the RTP packets of one VP8 keyframe: it starts at a packet that begins a keyframe, takes
 * packets of the same timestamp in sequence, and completes on the marker bit. A gap or a new
 * timestamp before the marker discards the partial frame and waits for the next keyframe.
 * Inter frames are ignored without copying.
 */
export class KeyframeAssembler {
  readonly #payloadType: number;
  #parts: Uint8Array[] = [];
  #size = 0;
  #timestamp = 0;
  #nextSequence = -1;
  #info: Vp8KeyframeInfo | undefined;

  /** @param payloadType the VP8 payload type of the stream; other packets (RTX) are ignored. */
  constructor(payloadType: number) {
    this.#payloadType = payloadType;
  }

  /** Feeds one RTP packet; returns the keyframe it completes, if any. */
  push(packet: Uint8Array): Vp8Keyframe | undefined {
    const rtp = parseRtp(packet);
    if (!rtp || rtp.payloadType !== this.#payloadType) return undefined;
    const vp8 = parseVp8Payload(rtp.payload);
    if (!vp8) return this.reset();
    if (vp8.start && vp8.partitionId === 0) {
      this.reset();
      this.#info = vp8KeyframeInfo(vp8.data);
      if (!this.#info) return undefined;
      this.#timestamp = rtp.timestamp;
    } else if (!this.#info) {
      return undefined;
    } else if (rtp.timestamp !== this.#timestamp || rtp.sequenceNumber !== this.#nextSequence) {
      return this.reset();
    }
    this.#parts.push(vp8.data);
    this.#size += vp8.data.length;
    this.#nextSequence = (rtp.sequenceNumber + 1) & 0xffff;
    if (!rtp.marker) return undefined;
    const data = new Uint8Array(this.#size);
    let offset = 0;
    for (const part of this.#parts) {
      data.set(part, offset);
      offset += part.length;
    }
    const keyframe: Vp8Keyframe = { ...this.#info, data, rtpTimestamp: this.#timestamp };
    this.reset();
    return keyframe;
  }

  /** Drops any partial frame. */
  reset(): undefined {
    this.#parts = [];
    this.#size = 0;
    this.#info = undefined;
    this.#nextSequence = -1;
    return undefined;
  }
}
