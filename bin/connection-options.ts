/** The CLI's connection flags (--connect, --tls-*, --auth) → ZkClient options. */
import { readFileSync } from 'node:fs';
import type { ZkClientOptions } from '../recipes/index.js';

/** The flags every command takes, for parseArgs. */
export const CONNECTION_FLAGS = {
  connect: { type: 'string' },
  'tls-ca': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  auth: { type: 'string', multiple: true },
} as const;

/** Help text for those flags. */
export const CONNECTION_HELP = `--connect defaults to $ZK_CONNECT_STRING, else 127.0.0.1:2181.
--tls-ca <pem>      speak TLS (to a secureClientPort), trusting this CA
--tls-cert <pem>    with --tls-key: a client certificate (mutual TLS)
--auth <scheme:credentials>   e.g. --auth digest:user:password (repeatable)`;

export interface ConnectionFlagValues {
  connect?: string;
  'tls-ca'?: string;
  'tls-cert'?: string;
  'tls-key'?: string;
  auth?: string[];
}

/** Throws Error with a message for the user on a bad flag (the caller reports it as a usage error). */
export function clientOptionsFrom(values: ConnectionFlagValues): Pick<ZkClientOptions, 'connectString' | 'tls' | 'auth'> {
  const connectString = values.connect ?? process.env.ZK_CONNECT_STRING ?? '127.0.0.1:2181';
  const read = (flag: string, file: string | undefined) => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (error) {
      throw new Error(`${flag} ${file}: ${(error as Error).message}`);
    }
  };
  const ca = read('--tls-ca', values['tls-ca']);
  const cert = read('--tls-cert', values['tls-cert']);
  const key = read('--tls-key', values['tls-key']);
  if ((cert === undefined) !== (key === undefined)) throw new Error('--tls-cert and --tls-key go together.');
  const tls = ca || cert ? { ca, cert, key } : undefined;
  const auth = (values.auth ?? []).map((entry) => {
    const colon = entry.indexOf(':');
    if (colon <= 0) throw new Error(`--auth ${entry}: expected <scheme>:<credentials>, e.g. digest:user:password.`);
    return { scheme: entry.slice(0, colon), credentials: entry.slice(colon + 1) };
  });
  return { connectString, tls, auth };
}
