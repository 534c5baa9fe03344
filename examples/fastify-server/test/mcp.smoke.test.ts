import { resolve } from 'node:path';
import { describeMcpSmoke } from '../../demo-tools/test-support/mcp-smoke.js';

describeMcpSmoke('fastify', resolve(__dirname, '..'));
