/**
 * Throwaway certificates for TLS tests: a CA, a server certificate for 127.0.0.1/localhost and a
 * client certificate (for mutual TLS), made with `openssl` (Debian's `openssl` package). PEM
 * files, which ZooKeeper 3.5.5+ reads directly (`ssl.keyStore.type=PEM`).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ZooKeeperNotFoundError } from '../core/errors.js';

/** What a TLS test server and its clients need. */
export interface TestCertificates {
  /** The CA certificate (PEM): what clients trust. */
  readonly ca: string;
  /** A client certificate and key (PEM) signed by the CA, for mutual TLS. */
  readonly clientCert: string;
  readonly clientKey: string;
  /** Files for the server's zoo.cfg. */
  readonly caFile: string;
  readonly serverKeyStoreFile: string;
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new ZooKeeperNotFoundError(
      `openssl ${args[0]} failed (${r.error?.message ?? r.stderr.trim()}). TLS test servers need openssl: sudo apt-get install -y openssl.`,
    );
  }
}

/** Makes a CA, a server and a client certificate in `dir` (valid two days). */
export function makeTestCertificates(dir: string): TestCertificates {
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      '/CN=zk-recipes-test-ca',
    ],
    dir,
  );
  for (const name of ['server', 'client']) {
    openssl(
      ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=zk-recipes-test-${name}`],
      dir,
    );
    writeFileSync(join(dir, `${name}.ext`), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n');
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${name}.crt`,
        '-days',
        '2',
        '-extfile',
        `${name}.ext`,
      ],
      dir,
    );
  }
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  const serverKeyStoreFile = join(dir, 'server.pem');
  writeFileSync(serverKeyStoreFile, read('server.key') + read('server.crt'));
  return {
    ca: read('ca.crt'),
    clientCert: read('client.crt'),
    clientKey: read('client.key'),
    caFile: join(dir, 'ca.crt'),
    serverKeyStoreFile,
  };
}

/** zoo.cfg lines that serve TLS on `securePort` with these certificates (Netty connection factory). */
export function tlsServerConfig(certs: TestCertificates, securePort: number, clientAuth: 'none' | 'want' | 'need'): string[] {
  return [
    'serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory',
    `secureClientPort=${securePort}`,
    'secureClientPortAddress=127.0.0.1',
    `ssl.keyStore.location=${certs.serverKeyStoreFile}`,
    'ssl.keyStore.type=PEM',
    `ssl.trustStore.location=${certs.caFile}`,
    'ssl.trustStore.type=PEM',
    `ssl.clientAuth=${clientAuth}`,
  ];
}
