/**
 * A gate's MQTT client id is its device id (the deploy configuration binds the client id to the
 * username, which is the device id); `mqtt.clientId` stays as an override for brokers without
 * that binding. The mapping only: the broker's side is in test/deploy.
 */
import { describe, expect, it } from 'vitest';
import { MqttSchema } from '../../src/config/schema.ts';
import { MqttLink } from '../../src/mqtt/mqttLink.ts';
import { silentLogger } from '../../src/platform/logger.ts';

const link = (mqtt: Record<string, unknown>, deviceId: string) =>
  new MqttLink(MqttSchema.parse({ url: 'mqtt://127.0.0.1:1883', ...mqtt }), deviceId, () => ({}), silentLogger);

describe('the MQTT client id', () => {
  it('is the device id when mqtt.clientId is absent (no faregate- prefix)', () => {
    expect(link({}, 'wl-line2-gate-07').clientOptions().clientId).toBe('wl-line2-gate-07');
  });

  it('is mqtt.clientId when set', () => {
    expect(link({ clientId: 'bus-0042' }, 'bus-0042-front').clientOptions().clientId).toBe('bus-0042');
  });

  it('keeps the persistent session and the will on the gate’s own status topic', () => {
    const o = link({ username: 'gate-3' }, 'gate-3').clientOptions();
    expect(o.clean).toBe(false);
    expect(o.username).toBe('gate-3');
    expect(o.will?.topic).toBe('faregate/v1/gates/gate-3/status');
  });
});
