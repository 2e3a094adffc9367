// Guards under @stoqey/ib: frame lengths are checked before its socket sees them, a decode error stays with its message.
//
// Two faults of @stoqey/ib 1.6.x (issue 14 items 1 and 2), fixed from outside because the product must be safe with
// the published library:
// - socket.js onData reads a frame's length with readInt32BE: a length of 2^31 or more is negative, the "enough
//   bytes?" test passes, the slice does not advance, and the loop spins for ever on the same bytes (emitting error
//   505 each round) while the event loop is blocked: no key, no signal, no timer gets through.
// - decoder.js process() catches only UnderrunError: any other throw while decoding one message (JSON.parse of an
//   advanced-order-reject field after it unescaped \u000a into a raw newline, say) leaves the socket's data
//   handler and takes the process down.
import type { IBApi } from '@stoqey/ib';
import { IN_MSG_ID } from '@stoqey/ib/dist/core/io/enum/in-msg-id.js';
import { HotListenerError, type HotDecoder } from './hot-decode.js';

/**
 * The longest frame we accept: the Java client's and @stoqey/ib's own limit (MAX_V100_MESSAGE_LENGTH), which the
 * library applies only to its whole buffer, after the fact. Real TWS messages are far shorter.
 */
export const MAX_FRAME_BYTES = 0xffffff;

export interface WireGuardHooks {
  /** The stream cannot be trusted any more (a frame length beyond the limit): drop the connection and reconnect. */
  readonly onBadFrame: (reason: string) => void;
  /**
   * A bad frame before the server version arrived: what answered the handshake is not TWS (an HTTP server's
   * "HTTP/1.1 400" read as a length is 1213486160 bytes). `reply` says what it looked like (notTwsReply). Without this
   * hook such a frame goes to onBadFrame like any other.
   */
  readonly onNotTws?: (reply: string) => void;
  /** One message could not be decoded, or one of our listeners threw on it; the connection goes on. */
  readonly onMessageError: (reason: string) => void;
  /** Called before the library decodes one socket read (a chunk of frames), and after it, even when it threw. */
  readonly readStarted?: () => void;
  readonly readEnded?: () => void;
  /** The busiest messages decoded here instead of by the library, where it may (hot-decode.ts). */
  readonly hot?: HotDecoder;
}

/** The parts of @stoqey/ib's private I/O objects the guard touches (dist/core/io). */
interface LibSocket {
  useV100Plus: boolean;
  /** 0 until the handshake's reply (the server version) has been read. */
  _serverVersion: number;
  _v100MessageBuffer: Buffer;
  onData(data: Buffer): void;
}
interface LibDecoder {
  dataQueue: (string | undefined)[];
  emitQueue: unknown[];
  processMsg(msgId: number): void;
  readStr(): string;
  readInt(): number;
  decodeUnicodeEscapedString(s: string): string;
  serverVersion: number;
  callback: { emitInfo(msg: string, code: number): void; emitError(msg: string, code: number, reqId?: number, reject?: unknown): void };
}
interface LibController {
  socket: LibSocket;
  decoder: LibDecoder;
  emitEvent(name: string, ...args: unknown[]): void;
}

/**
 * The offset in `buf` of the first frame header whose length is beyond `max` (read unsigned, as the protocol
 * means it), or -1. Walks complete headers only; a frame still arriving is judged when its header is whole.
 */
export function findBadFrame(buf: Buffer, max: number = MAX_FRAME_BYTES): number {
  let pos = 0;
  while (buf.length - pos >= 4) {
    const len = buf.readUInt32BE(pos);
    if (len > max) return pos;
    if (buf.length - pos - 4 < len) return -1;
    pos += 4 + len;
  }
  return -1;
}

/** Why a frame was refused, in words an operator can act on. */
export function badFrameReason(len: number, max: number = MAX_FRAME_BYTES): string {
  return `TWS sent a message claiming ${len} bytes (the limit is ${max}): the stream is corrupt or not TWS; dropping the connection`;
}

/** The longest piece of a non-TWS reply quoted back to the operator. */
const REPLY_QUOTE_CHARS = 40;

/**
 * What a handshake reply that is not TWS's looked like, from its first bytes, for "H:P is not TWS: ...". The
 * servers a wrong --port most often reaches say who they are in their first bytes; anything else is quoted when its
 * first line is printable ASCII (so nothing in it can act on a terminal), else described.
 */
export function notTwsReply(head: Buffer): string {
  const text = head.toString('latin1', 0, Math.min(head.length, 256));
  if (/^HTTP\/\d/.test(text)) return 'it answered like an HTTP server';
  if (text.startsWith('SSH-')) return 'it answered like an SSH server';
  // A TLS record (alert 21 or handshake 22, version 3.x): a TLS server refusing our plain-text "API" greeting.
  if ((head[0] === 0x15 || head[0] === 0x16) && head[1] === 0x03) return 'it answered like a TLS server';
  const line = text.split(/\r?\n/)[0]!;
  if (line.length >= 4 && /^[\x20-\x7e]+$/.test(line)) {
    const quoted = line.length > REPLY_QUOTE_CHARS ? `${line.slice(0, REPLY_QUOTE_CHARS)}…` : line;
    return `it answered ${JSON.stringify(quoted)}`;
  }
  return "the handshake's reply was not TWS's";
}

function msgName(id: number): string {
  const name = (IN_MSG_ID as unknown as Record<number, string | undefined>)[id];
  return name ? `${name} (${id})` : `message id ${id}`;
}

/**
 * Installs both guards on one IBApi (before or after connect: the socket looks `onData` up on every chunk).
 * Idempotent per instance.
 */
export function installWireGuard(api: IBApi, hooks: WireGuardHooks, maxFrame: number = MAX_FRAME_BYTES): void {
  const controller = (api as unknown as { controller: LibController }).controller;
  const socket = controller.socket;
  const decoder = controller.decoder;
  const marked = socket as unknown as { __twsRiskGuard?: true };
  if (marked.__twsRiskGuard) return;
  marked.__twsRiskGuard = true;

  // ---- frames ----
  const onData = socket.onData.bind(socket);
  let refused = false;
  const guarded = (data: Buffer) => {
    if (refused) return;
    if (!socket.useV100Plus) return onData(data);
    const held = socket._v100MessageBuffer;
    const bad = findBadFrame(held.length ? Buffer.concat([held, data]) : data, maxFrame);
    if (bad < 0) return onData(data);
    // The whole frames before the bad header are good: deliver them, then refuse the rest for good.
    const all = held.length ? Buffer.concat([held, data]) : data;
    const len = all.readUInt32BE(bad);
    refused = true;
    if (socket._serverVersion === 0 && hooks.onNotTws) {
      // Nothing is delivered: before the server version, no frame of this stream was TWS's.
      socket._v100MessageBuffer = Buffer.alloc(0);
      hooks.onNotTws(notTwsReply(all.subarray(bad)));
      return;
    }
    const goodInData = bad - held.length;
    try {
      if (goodInData > 0) onData(data.subarray(0, goodInData));
    } finally {
      socket._v100MessageBuffer = Buffer.alloc(0);
      hooks.onBadFrame(badFrameReason(len, maxFrame));
    }
  };
  const { readStarted, readEnded } = hooks;
  socket.onData =
    readStarted && readEnded
      ? (data: Buffer) => {
          readStarted();
          try {
            guarded(data);
          } finally {
            readEnded();
          }
        }
      : guarded;

  // ---- messages ----
  const processMsg = decoder.processMsg.bind(decoder);
  const hot = hooks.hot;
  decoder.processMsg = (msgId: number) => {
    try {
      if (msgId === IN_MSG_ID.ERR_MSG) return decodeErrMsg(decoder);
      if (hot !== undefined && hot(msgId, decoder)) return;
      return processMsg(msgId);
    } catch (e) {
      // An underrun is the library's own business (it reports it and drains the message).
      if ((e as Error)?.name === 'UnderrunError') throw e;
      // The whole message was read; only the listener's event is lost, as under the library's emit below.
      if (e instanceof HotListenerError) {
        hooks.onMessageError(`handling the ${e.event} event failed: ${e.message}; that event was dropped`);
        return;
      }
      // Nothing half-decoded goes out, and the rest of this message is dropped so the next one starts clean.
      decoder.emitQueue = [];
      // Up to, not past, the end marker: process() checks for it next and drops it, as after any whole message.
      const q = decoder.dataQueue;
      while (q.length && q[0] !== undefined) q.shift();
      hooks.onMessageError(`could not decode ${msgName(msgId)} from TWS: ${(e as Error)?.message ?? String(e)}; that message was dropped`);
    }
  };

  // A throw from a listener (ours) would leave process() the same way, with the queue half consumed.
  // `arguments` goes through as it is (apply): a rest array and a spread call per message showed in the profile.
  const emitEvent = controller.emitEvent;
  const emitter = api as unknown as { listenerCount(event: string): number };
  controller.emitEvent = function guardedEmitEvent(name: string) {
    // The library announces every frame's tokens as 'received', through its emitter twice (the event, then 'all'), and
    // this wrapper: nothing in the product listens. Delivered as before whenever someone does.
    if (name === 'received' && emitter.listenerCount('received') === 0 && emitter.listenerCount('all') === 0) return;
    try {
      Reflect.apply(emitEvent, controller, arguments);
    } catch (e) {
      hooks.onMessageError(`handling the ${name} event failed: ${(e as Error)?.message ?? String(e)}; that event was dropped`);
    }
  };
}

/**
 * decoder.js decodeMsg_ERR_MSG (server version 193 layout), except that an advanced-order-reject field that is
 * not JSON is passed on as its text instead of throwing: the error itself (code and message) always gets through.
 */
function decodeErrMsg(d: LibDecoder): void {
  const version = d.readInt();
  if (version < 2) {
    d.callback.emitError(d.readStr(), 505);
    return;
  }
  const id = d.readInt();
  const code = d.readInt();
  let msg = d.readStr();
  // MIN_SERVER_VER.ENCODE_MSG_ASCII7 = 153, ADVANCED_ORDER_REJECT = 166.
  if (d.serverVersion >= 153) msg = d.decodeUnicodeEscapedString(msg);
  let reject: unknown;
  if (d.serverVersion >= 166) {
    const raw = d.readStr();
    if (raw?.length > 0) {
      const text = d.decodeUnicodeEscapedString(raw);
      try {
        reject = JSON.parse(text);
      } catch {
        // TWS escapes control characters as \uXXXX; the library unescapes them before parsing, which breaks JSON.
        try {
          reject = JSON.parse(raw);
        } catch {
          reject = text;
        }
      }
    }
  }
  if (id === -1) d.callback.emitInfo(msg, code);
  else d.callback.emitError(msg, code, id, reject);
}
