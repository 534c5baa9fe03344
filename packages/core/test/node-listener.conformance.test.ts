import { describeConformance, listenOnLoopback } from '@agent-gateway/conformance';

// Core alone, on node:http: the reference the adapters must match.
describeConformance('node:http (gateway.nodeListener)', (gateway) => listenOnLoopback(gateway.nodeListener()));
