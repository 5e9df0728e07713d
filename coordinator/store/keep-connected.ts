/**
 * A client that only ends when we end it.
 *
 * ioredis can end a client for good on its own: a connection attempt that is under way when its connector
 * is told to disconnect (Sentinel's failover detector does that on +switch-master) fails with "Connection
 * is closed", and the client goes to status `end` and answers every later command with that error. The
 * failover test met it in 2 runs of 11: one coordinator of two stayed cut off from the promoted primary
 * for good while the other finished the job (ioredis issue #1683 reports the same symptom from
 * production). A coordinator must follow a failover without a restart, so an `end` we did not ask for
 * (quit, or disconnect without reconnecting) starts a fresh connection. Duplicates (the event bus's
 * subscriber, BullMQ's connections) get the same, and every such client's errors go to the callers of
 * the commands that failed rather than to ioredis' console warning.
 */
import type { Redis } from 'ioredis';

/** How long to wait before connecting again, so that a client ending in a loop does not spin. */
const AGAIN_MS = 100;

export function keepConnected<R extends Redis>(redis: R): R {
  let ours = false;
  const quit = redis.quit.bind(redis);
  const disconnect = redis.disconnect.bind(redis);
  const duplicate = redis.duplicate.bind(redis);
  redis.quit = ((...args: Parameters<Redis['quit']>) => {
    ours = true;
    return quit(...args);
  }) as Redis['quit'];
  redis.disconnect = (reconnect?: boolean) => {
    if (!reconnect) ours = true;
    disconnect(reconnect);
  };
  redis.duplicate = (...args: Parameters<Redis['duplicate']>) => keepConnected(duplicate(...args));
  redis.on('error', () => {
    /* reported through readiness and the callers' own errors; without a listener ioredis prints noise */
  });
  redis.on('end', () => {
    if (ours) return;
    setTimeout(() => {
      if (ours || redis.status !== 'end') return;
      redis.connect().catch(() => {
        /* the next `end` tries again */
      });
    }, AGAIN_MS).unref();
  });
  return redis;
}
