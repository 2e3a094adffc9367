// Rate limit for repeated identical broker messages: a storm keeps its first few lines and a count, not a line each.
import type { FeedEventBody, MessageClass } from '../../model/events.js';

type BrokerBody = Extract<FeedEventBody, { type: 'brokerMessage' }>;

interface Window {
  start: number;
  passed: number;
  suppressed: number;
  readonly sample: BrokerBody;
}

/**
 * Each distinct (id, code, message) may pass `burst` times per `windowMs`; further copies are counted, and the count
 * comes out as one summary message when the window is over (seen on the next copy or on `flush`). A peer or a broken
 * stream that repeats one error thousands of times a second thus adds a bounded number of events to the recording
 * (at most burst + 1 per distinct message per window), and the operator still learns how many there were.
 */
export class RepeatLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly burst = 3,
    private readonly windowMs = 10_000,
  ) {}

  /** The bodies to emit for `body` offered at `now`: itself, nothing (suppressed), or a summary first. */
  offer(body: BrokerBody, now: number): BrokerBody[] {
    const key = `${body.id}|${body.code}|${body.message}`;
    const w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) {
      const out = w ? this.summary(w, now) : [];
      this.windows.set(key, { start: now, passed: 1, suppressed: 0, sample: body });
      out.push(body);
      return out;
    }
    if (w.passed < this.burst) {
      w.passed++;
      return [body];
    }
    w.suppressed++;
    return [];
  }

  /** Summaries of windows that are over (all of them with `all`, e.g. when the connection drops). */
  flush(now: number, all = false): BrokerBody[] {
    const out: BrokerBody[] = [];
    for (const [key, w] of this.windows) {
      if (!all && now - w.start < this.windowMs) continue;
      out.push(...this.summary(w, now));
      this.windows.delete(key);
    }
    return out;
  }

  private summary(w: Window, now: number): BrokerBody[] {
    if (w.suppressed === 0) return [];
    const secs = Math.max(1, Math.round((now - w.start) / 1000));
    const s = w.sample;
    const cls: MessageClass = s.class;
    return [
      {
        type: 'brokerMessage',
        id: s.id,
        code: s.code,
        class: cls,
        message: `${s.message} [repeated ${w.suppressed} more times within ${secs} s; the repeats were not recorded one by one]`,
      },
    ];
  }
}
