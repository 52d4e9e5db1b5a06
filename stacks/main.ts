import { buildApp } from './app.js';
import { policyErrors } from '../constructs/policies/index.js';

/**
 * cdktf entry point (`cdktf.json` "app"). Writes cdktf.out/stacks/{bootstrap,staging,prod}/cdk.tf.json.
 * Exits 1 when the HIPAA rule pack reports errors — the cdktf CLI also prints them and fails, and running this file
 * directly with tsx (the offline fallback) fails the same way.
 */
const { app } = buildApp();
try {
  app.synth();
} catch (error) {
  // Without the CLI, cdktf throws on the first stack with error annotations; report every finding below instead.
  if (policyErrors(app).length === 0) throw error;
}
const errors = policyErrors(app);
if (errors.length > 0) {
  for (const e of errors) process.stderr.write(`ERROR [${e.path}]: ${e.message}\n`);
  process.stderr.write(`${errors.length} HIPAA rule-pack finding(s); synth failed.\n`);
  process.exitCode = 1;
}
