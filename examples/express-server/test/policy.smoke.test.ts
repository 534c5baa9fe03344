import { resolve } from 'node:path';
import { describePolicySmoke } from '../../demo-tools/test-support/policy-smoke.js';

describePolicySmoke('express', resolve(__dirname, '..'));
