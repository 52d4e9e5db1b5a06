import { hash32 } from './prng.js';

// Who owns a generated patient, in its own file so every generator (dataset.ts, labs.ts) assigns the same doctor.

/** The hash stream of per-patient counts and owners (dataset.ts's STREAM.counts). */
const COUNTS_STREAM = 8;

/** Index (0-based) of the doctor a generated patient belongs to; a pure function of (seed, patient index). */
export function ownerDoctorIndex(seed: number, patientIndex: number, doctorCount: number): number {
  return hash32(seed, COUNTS_STREAM, patientIndex, 1) % doctorCount;
}
