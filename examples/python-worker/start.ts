// The Express example server, with its sandbox pool running worker.py instead of the bundled worker.
import { fileURLToPath } from 'node:url';

process.env.SANDBOX_WORKER_PATH ??= fileURLToPath(new URL('./worker.py', import.meta.url));
await import('../express-server/src/server.js');
