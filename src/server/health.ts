import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";

/** What the health service reports on. */
export interface HealthOptions {
  /**
   * Whether the server can serve now: false while the backend is unreachable
   * or the server is draining. A check that throws counts as false.
   */
  readonly serving: () => Promise<boolean>;
  /** The services answered by name; "" (the whole server) is always answered. */
  readonly services: () => Iterable<string>;
  /**
   * How often an open Watch re-checks, in milliseconds.
   * @default 1000
   */
  readonly watchIntervalMs?: number;
}

/** grpc.health.v1.Health, plus the hooks the server's lifecycle needs. */
export interface HealthService {
  /** Registers grpc.health.v1.Health on a router. */
  readonly routes: (router: ConnectRouter) => void;
  /** The status may have changed (draining began): watchers re-check now. */
  notify(): void;
  /** Shutdown: watchers get the current status, then their streams end, so they do not hold the server open. */
  close(): void;
}

/**
 * Health checking as grpc-health-probe and Kubernetes expect: Check answers
 * SERVING or NOT_SERVING for "" and for every served service, NOT_FOUND for
 * unknown ones; Watch sends the status at once and again on every change.
 */
export function createHealth(options: HealthOptions): HealthService {
  const interval = options.watchIntervalMs ?? 1000;
  let wake = new AbortController();
  let closed = false;
  const known = (service: string) => service === "" || [...options.services()].includes(service);
  const status = async (service: string): Promise<Status> => {
    if (!known(service)) return Status.SERVICE_UNKNOWN;
    const ok = await options.serving().catch(() => false);
    return ok ? Status.SERVING : Status.NOT_SERVING;
  };
  const notify = () => {
    const previous = wake;
    wake = new AbortController();
    previous.abort();
  };

  return {
    routes(router) {
      router.service(Health, {
        async check(req) {
          if (!known(req.service)) {
            throw new ConnectError(
              `unknown service "${req.service}": ask for "" (the whole server) or a service that grpcurl list shows`,
              Code.NotFound,
            );
          }
          return { status: await status(req.service) };
        },
        async *watch(req, context) {
          let last: Status | undefined;
          while (!context.signal.aborted) {
            const current = await status(req.service);
            if (current !== last) yield { status: current };
            last = current;
            if (closed) return;
            await sleep(interval, [context.signal, wake.signal]);
          }
        },
      });
    },
    notify,
    close() {
      closed = true;
      notify();
    },
  };
}

/** Resolves after `ms`, or as soon as one of the signals aborts. */
function sleep(ms: number, signals: readonly AbortSignal[]): Promise<void> {
  return new Promise((resolve) => {
    const any = AbortSignal.any([...signals]);
    const done = () => {
      clearTimeout(timer);
      any.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    if (any.aborted) done();
    else any.addEventListener("abort", done, { once: true });
  });
}
