import type { TestProject } from 'vitest/node';
import { startPubSubEmulator } from '../../cli/pubsub-emulator.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `127.0.0.1:<port>` of the harness's Pub/Sub emulator (one per run; use unique topic ids per test file). */
    pubsubEmulatorHost: string;
  }
}

/**
 * Starts one Pub/Sub emulator (the java jar, on a free loopback port) for the whole integration run; tear-down kills
 * the java process. Tests that stop or restart the emulator start their own with `startPubSubEmulator`.
 */
export default async function setup(project: TestProject) {
  const emulator = await startPubSubEmulator({ port: 0 });
  project.provide('pubsubEmulatorHost', emulator.host);
  return () => emulator.stop();
}
