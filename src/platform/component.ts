/**
 * The one contract of the validator's long-lived parts (scanner input, store, gate dispatcher,
 * MQTT link, uploader, list sync, commands, telemetry, health), after zigbee2mqtt's extensions:
 * the service starts them in list order and stops them in reverse order, from one list.
 */

/** What a component adds to the service's health: problems make the validator unhealthy. */
export interface HealthContribution {
  /** Human-readable problems ("scanner down for 12 s"); empty = healthy. */
  problems: string[];
}

export interface Component {
  /** Names the component in logs (`component` field) and in start/stop errors. */
  readonly name: string;
  start(): void | Promise<void>;
  /** Must not throw; called in reverse start order, also after a failed start of a later part. */
  stop(): void | Promise<void>;
  /** Optional health contribution, read on every /healthz and status. */
  health?(): HealthContribution;
}
