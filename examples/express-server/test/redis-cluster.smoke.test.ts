import { resolve } from 'node:path';
import { describeRedisClusterSmoke } from '../../demo-tools/test-support/redis-cluster-smoke.js';

describeRedisClusterSmoke('express', resolve(__dirname, '..'));
