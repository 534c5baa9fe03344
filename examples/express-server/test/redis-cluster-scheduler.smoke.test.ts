import { resolve } from 'node:path';
import { describeRedisClusterSchedulerSmoke } from '../../demo-tools/test-support/redis-cluster-scheduler-smoke.js';

describeRedisClusterSchedulerSmoke('express', resolve(__dirname, '..'));
