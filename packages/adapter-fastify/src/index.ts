/**
 * `@agent-gateway/fastify` will hold `gatewayPlugin`, the Fastify 5 plugin serving core's route
 * table at parity with the Express adapter. It exports nothing yet.
 */
export {};
