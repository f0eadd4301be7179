// Worker-thread entry for large signed deny lists (see signedListJob.ts): the worker gets no
// TypeScript loader from the main thread, so it registers tsx itself, like src/cli/faregate.mjs.
import { register } from 'tsx/esm/api';

register();
await import('./signedListWorker.ts');
