// The deploy contract (DESIGN §2): a leaf that only needs zod, imported by the stacks, the services, the CLI and the
// tests, so a name or a default is spelled once.
export * from './env.js';
export * from './resources.js';
