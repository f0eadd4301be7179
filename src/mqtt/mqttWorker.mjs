// Worker-thread entry of the MQTT link when faregate runs from its TypeScript sources (tests,
// development): the worker gets no TypeScript loader from the main thread, so it registers tsx
// itself. The compiled package uses mqttWorker.js instead (see threadedMqttLink.ts).
import { register } from 'tsx/esm/api';

register();
await import('./mqttWorker.ts');
