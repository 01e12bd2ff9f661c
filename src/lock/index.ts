/**
 * The backend-neutral lock contract (docs/design.md §4, §5, §8): leases, the ownership layer and the
 * options every wait takes. Loads no backend client.
 */
export { Lease, type LeaseInit, type LossReporter } from './lease.js';
export { OwnedLock, type LockEngine, type HoldLeaseParts, type OwnedLockHooks, type TakeRequest } from './owned-lock.js';
export { type AcquireOptions, validateAcquireOptions, nullOnTimeout } from './acquire-options.js';
export { Watchdog, type WatchdogOptions, type Renew } from './watchdog.js';
export { waitForTurn, pause, type WakeSource, type TurnLook, type TurnWaitOptions } from './turn-wait.js';
export { ReentrantLock } from './reentrant-lock.js';
export { WaiterHub } from './wake-hub.js';
