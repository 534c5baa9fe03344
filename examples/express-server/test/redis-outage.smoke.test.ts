import { resolve } from 'node:path';
import { describeRedisOutageSmoke } from '../../demo-tools/test-support/redis-outage-smoke.js';

describeRedisOutageSmoke('express', resolve(__dirname, '..'));
