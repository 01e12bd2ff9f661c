// redlock 5.0.0-beta.2 ships types its package.json "exports" does not point at under NodeNext:
// the part the bench uses, declared here.
declare module 'redlock' {
  import type { Redis } from 'ioredis';
  interface Lock {
    release(): Promise<unknown>;
  }
  export default class Redlock {
    constructor(clients: Redis[], settings?: { retryCount?: number; retryDelay?: number; retryJitter?: number });
    acquire(resources: string[], duration: number): Promise<Lock>;
    on(event: 'error', listener: (error: unknown) => void): this;
  }
}
