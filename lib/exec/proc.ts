/** Memory of a running process as the kernel counts it, from /proc/<pid>/status. */
import { readFile, writeFile } from 'node:fs/promises';

export interface ProcMemory {
  /** Resident set size now (VmRSS). */
  rssBytes: number;
  /** Highest resident set size so far (VmHWM): the kernel keeps it, so no sample can miss a peak. */
  hwmBytes: number;
}

/** Parses the VmRSS and VmHWM lines of a /proc/<pid>/status text; null when they are absent (a zombie). */
export function parseProcStatus(text: string): ProcMemory | null {
  const rss = /^VmRSS:\s+(\d+)\s*kB/m.exec(text)?.[1];
  const hwm = /^VmHWM:\s+(\d+)\s*kB/m.exec(text)?.[1];
  if (rss === undefined) return null;
  const rssBytes = Number(rss) * 1024;
  return { rssBytes, hwmBytes: hwm === undefined ? rssBytes : Math.max(rssBytes, Number(hwm) * 1024) };
}

/** Reads a process's memory; null once it has exited (or where /proc does not exist). */
export async function readProcMemory(pid: number, procRoot = '/proc'): Promise<ProcMemory | null> {
  try {
    return parseProcStatus(await readFile(`${procRoot}/${pid}/status`, 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Starts a process's peak (VmHWM) again at its resident memory now, by writing 5 to
 * /proc/<pid>/clear_refs (Linux ≥ 4.0), so a reused worker's peak is that of its current spec.
 * False where that is not allowed or not Linux.
 */
export async function resetPeakMemory(pid: number, procRoot = '/proc'): Promise<boolean> {
  try {
    await writeFile(`${procRoot}/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
