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
// After the handshake the same onData wrapper also frames the reads into the library's token queue itself, without
// socket.js's copies (docs/performance.md, "Ingest", sixth pass); anything unusual is still framed by the library.
import type { IBApi } from '@stoqey/ib';
import { IN_MSG_ID } from '@stoqey/ib/dist/core/io/enum/in-msg-id.js';
import { HotListenerError, type HotDecoder } from './hot-decode.js';

/**
 * The longest frame we accept: the Java client's and @stoqey/ib's own limit (MAX_V100_MESSAGE_LENGTH), which the
 * library applies only to its whole buffer, after the fact. Real TWS messages are far shorter.
 */
export const MAX_FRAME_BYTES = 0xffffff;
/** socket.js MAX_V100_MESSAGE_LENGTH as the library applies it: to everything it holds, a chunk included. */
const LIB_MAX_BUFFER = 0xffffff;
const EMPTY = Buffer.alloc(0);
/** The least room a frame still arriving is given (a frame that fits in a read or two is simply joined). */
const MIN_ROOM = 64 * 1024;

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
  /** True until the first frame (the server version) has been handed to onMessage. */
  neverReceived: boolean;
  /** Never true in 1.6.x (nothing sets it); onMessage resumes the controller when it is. */
  waitingAsync: boolean;
  /** The end of a frame that did not end in NUL, carried into the next frame's first token. */
  dataFragment: string;
  onData(data: Buffer): void;
  /** One frame's text: tokenized, announced as 'received', queued and decoded. */
  onMessage(text: string): void;
}
interface LibDecoder {
  dataQueue: (string | undefined)[];
  process(): void;
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
  const emitter = api as unknown as { listenerCount(event: string): number };
  // The library announces every frame's tokens as 'received', through its emitter twice (the event, then 'all').
  const heard = () => emitter.listenerCount('received') !== 0 || emitter.listenerCount('all') !== 0;
  let refused = false;
  /** The library's own framing of `data` (after what it holds), once no header in them claims too much. */
  const viaLibrary = (data: Buffer) => {
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
  /*
   * A frame longer than a read arrives over many reads. Joined anew to every read (as socket.js joins its buffer), a
   * frame of n bytes trickled k bytes a read copies n²/2k bytes: a hostile or broken peer sending a 16 MB frame in
   * small reads held the event loop for minutes. Instead the frame's bytes go into room that doubles up to the size
   * its header gives, so each byte is copied a bounded number of times. `room` is ours alone (allocUnsafeSlow is never
   * pooled) and only bytes past what is held are written into it, so no view handed out earlier ever changes.
   */
  let room: Buffer | undefined;
  const startsRoom = (b: Buffer) => room !== undefined && b.length > 0 && b.buffer === room.buffer && b.byteOffset === room.byteOffset;
  const join = (held: Buffer, data: Buffer): Buffer => {
    const total = held.length + data.length;
    if (room !== undefined && startsRoom(held) && total <= room.length) {
      data.copy(room, held.length);
      return room.subarray(0, total);
    }
    // The frame's whole size, once its header is in (a header over the limit never gets here: it was refused).
    const need = held.length >= 4 ? 4 + held.readUInt32BE(0) : 0;
    if (need <= total || need > maxFrame + 4) return Buffer.concat([held, data], total);
    const next = Buffer.allocUnsafeSlow(Math.min(need, Math.max(2 * total, MIN_ROOM)));
    held.copy(next, 0);
    data.copy(next, held.length);
    room = next;
    return next.subarray(0, total);
  };
  /**
   * socket.js onData and onMessage for the stream after the handshake, without their copies (docs/performance.md,
   * "Sixth pass"): frames are read in place from the chunk (joined to the bytes held back only when a frame straddles
   * two chunks), each frame's text is cut into the decoder's queue, and the decoder runs, as onMessage has it do. A
   * frame that needs more than that (a 'received' listener, a fragment carried over, a frame not ended by NUL, an
   * empty one) goes to the library's onMessage, and a header beyond the limit to the guard above, with the rest.
   */
  const framed = (data: Buffer) => {
    const held = socket._v100MessageBuffer;
    const buf = held.length === 0 ? data : join(held, data);
    // The library reads its buffer afresh for every frame: if a listener reconnects the socket (connect() empties it),
    // what is left of this chunk is dropped, as the library drops it.
    socket._v100MessageBuffer = buf;
    let pos = 0;
    let bad = false;
    try {
      while (buf.length - pos >= 4 && socket._v100MessageBuffer === buf) {
        const len = buf.readUInt32BE(pos);
        // A header over the limit is refused as soon as its four bytes are here (a peer that stops after it must not
        // hold the connection open until the heartbeat notices), as the guard's own scan refuses it.
        if (len > maxFrame) {
          bad = true;
          break;
        }
        // `> 4`, as socket.js: an empty frame's header alone at the end waits for more bytes.
        if (buf.length - pos === 4) break;
        const end = pos + 4 + len;
        if (end > buf.length) break;
        const start = pos + 4;
        pos = end;
        if (len === 0 || buf[end - 1] !== 0 || socket.dataFragment !== '' || socket.waitingAsync || heard()) {
          socket.onMessage(buf.toString('utf8', start, end));
          continue;
        }
        // The frame's text without its final NUL, cut at each NUL: onMessage's tokens (its last, empty, token
        // dropped), queued as decoder.js enqueueMessage queues them (start marker, tokens, end marker) but in place of
        // its concat, and without split's array; then the decoder runs, as onMessage has it run.
        const text = buf.toString('utf8', start, end - 1);
        const q = decoder.dataQueue;
        q.push(undefined);
        let from = 0;
        for (let nul = text.indexOf('\0'); nul !== -1; nul = text.indexOf('\0', from)) {
          q.push(text.slice(from, nul));
          from = nul + 1;
        }
        q.push(text.slice(from), undefined);
        decoder.process();
      }
    } finally {
      if (socket._v100MessageBuffer === buf) socket._v100MessageBuffer = pos === 0 ? buf : pos < buf.length ? buf.subarray(pos) : EMPTY;
      // The room is kept only while what is held is its start: a frame still arriving in it.
      if (room !== undefined && !startsRoom(socket._v100MessageBuffer)) room = undefined;
    }
    if (bad) {
      socket._v100MessageBuffer = EMPTY;
      viaLibrary(buf.subarray(pos));
    }
  };
  const guarded = (data: Buffer) => {
    if (refused) return;
    if (!socket.useV100Plus) return onData(data);
    // Before the server version, while someone hears 'received', or past the library's limit on its whole buffer
    // (which it reports and disconnects on): the library frames the chunk.
    if (socket.neverReceived || socket.waitingAsync || heard() || socket._v100MessageBuffer.length + data.length > LIB_MAX_BUFFER) {
      return viaLibrary(data);
    }
    framed(data);
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
  controller.emitEvent = function guardedEmitEvent(name: string) {
    // The library announces every frame's tokens as 'received', through its emitter twice (the event, then 'all'), and
    // this wrapper: nothing in the product listens. Delivered as before whenever someone does.
    if (name === 'received' && !heard()) return;
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
