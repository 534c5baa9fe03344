import { describeConformance } from './conformance/suite.js';
import { listenOnLoopback } from './conformance/listen.js';

// Core alone, on node:http: the reference the adapters must match.
describeConformance('node:http (gateway.nodeListener)', (gateway) => listenOnLoopback(gateway.nodeListener()));
