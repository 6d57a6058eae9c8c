import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isIP } from 'node:net';
import { once } from 'node:events';

export interface ListenOptions {
  host: string;
  port: number;
  tlsCertFile: string;
  tlsKeyFile: string;
  allowInsecurePublicBind: boolean;
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/**
 * HTTPS when a certificate is configured. Plain HTTP only on loopback (behind a local TLS proxy or
 * for development), unless the operator explicitly allows an insecure public bind.
 */
export async function listen(handler: RequestListener, options: ListenOptions): Promise<{ server: Server; secure: boolean }> {
  const secure = Boolean(options.tlsCertFile && options.tlsKeyFile);
  if (!secure && !isLoopback(options.host) && !options.allowInsecurePublicBind) {
    throw new Error(
      `refusing to serve plain HTTP on ${options.host}: browsers only allow the camera on HTTPS. ` +
        'Set VEIL_TLS_CERT_FILE and VEIL_TLS_KEY_FILE, bind to 127.0.0.1 behind a TLS proxy, or set VEIL_ALLOW_INSECURE_PUBLIC_BIND=true',
    );
  }
  const server = secure
    ? createHttpsServer({ cert: readFileSync(options.tlsCertFile), key: readFileSync(options.tlsKeyFile) }, handler)
    : createHttpServer(handler);
  server.listen(options.port, options.host);
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error as Error))]);
  return { server, secure };
}
