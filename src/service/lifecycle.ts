/**
 * Starts components in list order and stops them in reverse order, from the same list. A start
 * that fails stops what already started (in reverse) and rethrows; a stop that fails is logged
 * and the next component is still stopped.
 */
import { FaregateError, errorFields } from '../errors/faregateError.ts';
import type { Logger } from '../platform/logger.ts';
import type { Component, HealthContribution } from '../platform/component.ts';

export class Lifecycle {
  private started: Component[] = [];

  constructor(
    readonly components: readonly Component[],
    private readonly log: Logger,
  ) {}

  /** The component names in start order. */
  get order(): string[] {
    return this.components.map((c) => c.name);
  }

  async start(): Promise<void> {
    for (const c of this.components) {
      try {
        await c.start();
      } catch (e) {
        this.log.error({ component: c.name, ...errorFields(e) }, 'component failed to start: stopping the others');
        await this.stop();
        const message = `${c.name} failed to start: ${errorFields(e).err}`;
        throw new FaregateError('COMPONENT_START_FAILED', message, { cause: e });
      }
      this.started.push(c);
    }
  }

  /** Stops the started components, last started first. Never throws. */
  async stop(): Promise<void> {
    for (const c of this.started.splice(0).reverse()) {
      try {
        await c.stop();
      } catch (e) {
        this.log.error({ component: c.name, ...errorFields(e) }, 'component failed to stop');
      }
    }
  }

  /** The health contributions of the components that have one. */
  health(): HealthContribution[] {
    const out: HealthContribution[] = [];
    for (const c of this.components) if (c.health) out.push(c.health());
    return out;
  }
}
