import { runExampleServer } from '@agent-gateway-examples/demo-tools/server';
import { serveWithExpress } from './serve.js';

await runExampleServer('express', serveWithExpress);
