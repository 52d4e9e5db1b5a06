// DrChrono's date and time text, shared by every generator (dataset.ts, labs.ts).

/** Formats epoch ms as DrChrono's zone-less ISO 8601 timestamp, e.g. `2026-03-04T10:15:00`. */
export function formatTimestamp(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const secOfDay = seconds - Math.floor(seconds / 86_400) * 86_400;
  const hh = Math.floor(secOfDay / 3600);
  const mm = Math.floor((secOfDay % 3600) / 60);
  const ss = secOfDay % 60;
  return `${formatDate(ms)}T${hh < 10 ? '0' : ''}${hh}:${mm < 10 ? '0' : ''}${mm}:${ss < 10 ? '0' : ''}${ss}`;
}

/** Formats epoch ms as `YYYY-MM-DD`. */
export function formatDate(ms: number): string {
  // Civil-from-days (H. Hinnant), ~10x faster than Date#toISOString in the generation hot path.
  const z = Math.floor(ms / 86_400_000) + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${y}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`;
}
