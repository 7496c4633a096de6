/** Process accounting for the benchmarks: memory and CPU time from /proc (read only). */
import { readdirSync, readFileSync } from 'node:fs';
import { infraUrls } from '../../test/support/infrastructure';

export function procStatus(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return Number.NaN;
  }
}

/** The broker's and the MongoDB-wire server's process ids (to attribute CPU time; read only). */
export function infraPids(): { mongo?: number; rabbitmq?: number } {
  const mongoPort = new URL(infraUrls().mongoUrl).port || '27017';
  const found: { mongo?: number; rabbitmq?: number } = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (comm === 'beam.smp') found.rabbitmq ??= Number(entry);
      if (comm === 'java') {
        // The MongoWire server on MONGO_URL's port (another one may run on the machine).
        const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
        if (args.includes('MongoWire') && args.includes(mongoPort)) found.mongo ??= Number(entry);
      }
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** CPU seconds the whole machine spent busy (all cores, /proc/stat). */
export function machineBusySeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return (fields.reduce((sum, value) => sum + value, 0) - idle) / 100;
}

export type CpuProbe = Record<string, number>;
/** CPU seconds of each named process, and of everything else on the machine ("other"). */
export function cpuSnapshot(pids: Record<string, number | undefined>): CpuProbe {
  const own = Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => [name, pid === undefined ? Number.NaN : cpuSeconds(pid)]),
  );
  const tracked = Object.values(own)
    .filter((value) => !Number.isNaN(value))
    .reduce((sum, value) => sum + value, 0);
  return { ...own, other: machineBusySeconds() - tracked };
}
export function cpuShare(before: CpuProbe, after: CpuProbe, seconds: number): Record<string, number> {
  return Object.fromEntries(
    Object.keys(before).map((name) => [name, ((after[name]! - before[name]!) / seconds) * 100]),
  );
}

// ---------------------------------------------------------------------------------------------
// 1 + 5: prepare throughput and the prepare worker's peak RSS
