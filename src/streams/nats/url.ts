// NATS URLs as the command line takes them: checked and shown without credentials, with no NATS client loaded.

/** A target's URL without its password, for logs and the status line. */
export function redactedUrl(url: string): string {
  return url.replace(/(\/\/[^:@/]*):[^@/]*@/g, '$1:***@');
}

/** Checks the URL form before any connection is tried: a usage error, not a network one. */
export function natsUrlProblem(url: string): string | undefined {
  for (const u of url.split(',')) {
    let p: URL;
    try {
      p = new URL(u.trim());
    } catch {
      return `expected nats://HOST:PORT, got ${JSON.stringify(redactedUrl(u))}`;
    }
    if (!['nats:', 'tls:'].includes(p.protocol) || !p.hostname) return `expected nats://HOST:PORT, got ${JSON.stringify(redactedUrl(u))}`;
  }
  return undefined;
}
