import { resolve } from 'node:path';
import { describeRunbookSmoke } from '../../demo-tools/test-support/runbook-smoke.js';

describeRunbookSmoke('express', resolve(__dirname, '..'));
