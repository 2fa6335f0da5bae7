import type { UpstreamErrorCode } from './upstream.error.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

/** A point-in-time view of one connector instance's traffic. */
export interface HttpMetricsSnapshot {
  instanceId: string;
  connectorId: string;
  /** Calls made through `request` (each may take several attempts). */
  requests: number;
  /** Attempts that went on the wire. */
  attempts: number;
  retries: number;
  /** Calls that ended in an error, by code. */
  failures: Partial<Record<UpstreamErrorCode, number>>;
  rateLimitWaits: number;
  rateLimitWaitMs: number;
  breakerState: BreakerState;
  inFlight: number;
  /** Over the last `LATENCY_WINDOW` attempts; null before the first. */
  latencyMs: { p50: number | null; p99: number | null; samples: number };
}

const LATENCY_WINDOW = 512;

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] ?? null;
}

export class InstanceMetrics {
  requests = 0;
  attempts = 0;
  retries = 0;
  rateLimitWaits = 0;
  rateLimitWaitMs = 0;
  breakerState: BreakerState = 'closed';
  readonly failures: Partial<Record<UpstreamErrorCode, number>> = {};
  private readonly latencies: number[] = [];
  private next = 0;

  readonly instanceId: string;
  readonly connectorId: string;
  private readonly inFlight: () => number;

  constructor(instanceId: string, connectorId: string, inFlight: () => number) {
    this.instanceId = instanceId;
    this.connectorId = connectorId;
    this.inFlight = inFlight;
  }

  recordLatency(ms: number): void {
    // A ring buffer keeps the window bounded without shifting arrays.
    if (this.latencies.length < LATENCY_WINDOW) this.latencies.push(ms);
    else this.latencies[this.next] = ms;
    this.next = (this.next + 1) % LATENCY_WINDOW;
  }

  recordFailure(code: UpstreamErrorCode): void {
    this.failures[code] = (this.failures[code] ?? 0) + 1;
  }

  snapshot(): HttpMetricsSnapshot {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return {
      instanceId: this.instanceId,
      connectorId: this.connectorId,
      requests: this.requests,
      attempts: this.attempts,
      retries: this.retries,
      failures: { ...this.failures },
      rateLimitWaits: this.rateLimitWaits,
      rateLimitWaitMs: this.rateLimitWaitMs,
      breakerState: this.breakerState,
      inFlight: this.inFlight(),
      latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), samples: sorted.length },
    };
  }
}
