/**
 * Per-test helpers: a namespace of its own for each test, cleaned up after it.
 */
import { afterEach, beforeEach, inject } from 'vitest';
import { canStartServers, TestNamespace } from '../../src/testing/index.js';
import { SUPER_PASSWORD } from './global-setup.js';

/** The shared server's connect string. */
export function sharedConnectString(): string {
  return inject('zkConnectString');
}

/** Registers hooks giving each test of the file a fresh {@link TestNamespace}; returns a getter. */
export function useTestNamespace(): () => TestNamespace {
  let current: TestNamespace | undefined;
  beforeEach(() => {
    // On our own server, clean up as its superuser (nodes under restrictive ACLs included).
    const external = process.env.ZK_CONNECT_STRING !== undefined;
    const tls = external ? null : inject('zkTls');
    current = new TestNamespace(
      sharedConnectString(),
      undefined,
      external ? [] : [{ scheme: 'digest', credentials: `super:${SUPER_PASSWORD}` }],
      tls ? { tls } : {},
    );
  });
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('useTestNamespace(): only inside a test');
    return current;
  };
}

/** Fault tests start servers of their own; against an external ensemble they cannot. */
export const faultsSkipReason = canStartServers()
  ? undefined
  : 'ZK_CONNECT_STRING points at an external ensemble: fault-injection tests need servers the kit starts.';
