// Worker-thread entry for large signed deny lists when faregate runs from its TypeScript sources
// (tests, development): the worker gets no TypeScript loader from the main thread, so it registers
// tsx itself. The compiled package uses signedListWorker.js instead (see signedListJob.ts).
import { register } from 'tsx/esm/api';

register();
await import('./signedListWorker.ts');
