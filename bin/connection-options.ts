/**
 * The CLI's connection flags (--connect, --tls-*, credentials) → ZkClient options. Credentials
 * come, as psql's and redis-cli's do, from a file (--auth-file) or the environment
 * ($ZK_RECIPES_AUTH), which other local users cannot read; --auth on the command line still works
 * but is visible to every local user in `ps`, so it draws a warning. No credential is ever echoed.
 */
import { readFileSync, statSync } from 'node:fs';
import type { ZkClientOptions } from '../recipes/index.js';

/** The flags every command takes, for parseArgs. */
export const CONNECTION_FLAGS = {
  connect: { type: 'string' },
  'tls-ca': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  auth: { type: 'string', multiple: true },
  'auth-file': { type: 'string' },
} as const;

/** Help text for those flags. */
export const CONNECTION_HELP = `--connect defaults to $ZK_CONNECT_STRING, else 127.0.0.1:2181.
--tls-ca <pem>      speak TLS (to a secureClientPort), trusting this CA
--tls-cert <pem>    with --tls-key: a client certificate (mutual TLS)
Credentials (digest:user:password), first found wins:
  --auth-file <file>  one <scheme>:<credentials> per line (# comments); keep it mode 600
  $ZK_RECIPES_AUTH    the same, one per line
  --auth <scheme:credentials>   repeatable; visible to every local user in \`ps\`: avoid`;

export interface ConnectionFlagValues {
  connect?: string;
  'tls-ca'?: string;
  'tls-cert'?: string;
  'tls-key'?: string;
  auth?: string[];
  'auth-file'?: string;
}

/** Where warnings go (stderr in the CLI). */
export type Warn = (message: string) => void;

/** Parses `<scheme>:<credentials>` lines; a bad one is named by where it came from, never by its value. */
function parseAuth(entries: readonly string[], from: string) {
  return entries.map((entry, i) => {
    const colon = entry.indexOf(':');
    if (colon <= 0 || colon === entry.length - 1) {
      throw new Error(
        `${from}${entries.length > 1 ? ` (entry ${i + 1})` : ''}: expected <scheme>:<credentials>, e.g. digest:user:password (the value is not shown).`,
      );
    }
    return { scheme: entry.slice(0, colon), credentials: entry.slice(colon + 1) };
  });
}

const lines = (text: string) =>
  text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

function authFrom(values: ConnectionFlagValues, warn: Warn) {
  const file = values['auth-file'];
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
      if ((statSync(file).mode & 0o077) !== 0) warn(`--auth-file ${file} can be read by other users: chmod 600 it.`);
    } catch (error) {
      throw new Error(`--auth-file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'cannot be read'}.`);
    }
    return parseAuth(lines(text), `--auth-file ${file}`);
  }
  if (values.auth && values.auth.length > 0) {
    if (values.auth.some((a) => a.includes(':'))) {
      warn('credentials given with --auth are visible to every local user (ps, /proc): use --auth-file or $ZK_RECIPES_AUTH.');
    }
    return parseAuth(values.auth, '--auth');
  }
  const env = process.env.ZK_RECIPES_AUTH;
  if (env) return parseAuth(lines(env), '$ZK_RECIPES_AUTH');
  return [];
}

/** Throws Error with a message for the user on a bad flag (the caller reports it as a usage error). */
export function clientOptionsFrom(
  values: ConnectionFlagValues,
  warn: Warn = () => undefined,
): Pick<ZkClientOptions, 'connectString' | 'tls' | 'auth'> {
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
  return { connectString, tls, auth: authFrom(values, warn) };
}
