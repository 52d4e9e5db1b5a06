import { DEFAULT_CLIENT, startDrChronoSandbox } from '../sandbox/drchrono/index.js';

// A DrChrono sandbox in its own process, so the sync benchmark measures the sync's CPU and memory, not the stand-in's.
const patients = Number(process.argv[2] ?? 100_000);
const sandbox = await startDrChronoSandbox({ patientCount: patients, seed: 42, hourlyCallBudget: 1_000_000_000 });
const pair = sandbox.control.issueTokenPair(DEFAULT_CLIENT.clientId);
process.stdout.write(`${JSON.stringify({ url: sandbox.url, pair })}\n`);
process.on('SIGTERM', () => void sandbox.close().then(() => process.exit(0)));
