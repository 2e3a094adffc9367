// Fake terminal streams for runConsole tests: a TTY stdout that keeps what was written, a stdin that types.
import { EventEmitter } from 'node:events';

export class Tty extends EventEmitter {
  isTTY = true;
  out = '';
  constructor(
    public columns = 80,
    public rows = 24,
  ) {
    super();
  }
  write = (s: string, cb?: () => void) => {
    this.out += s;
    cb?.();
    return true;
  };
}

export class TtyIn extends EventEmitter {
  isTTY = true;
  private data: string | null = null;
  /** Whether the read's length is known before it is read, as a real stream's readableLength tells it (off: unknown). */
  reportsLength = false;
  get readableLength(): number | undefined {
    return this.reportsLength ? (this.data?.length ?? 0) : undefined;
  }
  type(s: string) {
    this.data = s;
    this.emit('readable');
  }
  read = () => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
}

/** The streams runConsole takes, from these fakes (stderr a terminal of its own that nothing reads). */
export function ttyStreams(
  stdout: Tty,
  stdin: TtyIn,
  stderr = new Tty(),
): { stdout: NodeJS.WriteStream; stdin: NodeJS.ReadStream; stderr: NodeJS.WriteStream } {
  return {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    stderr: stderr as unknown as NodeJS.WriteStream,
  };
}
