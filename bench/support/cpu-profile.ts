import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";

/** A CPU profile of this process over a phase of a benchmark, as `node --cpu-prof` would write it. */
export interface CpuProfiler {
  /** Stops profiling and writes the profile (a .cpuprofile file, for bench/profile-top.ts). */
  stop(path: string): Promise<void>;
}

export async function startCpuProfile(): Promise<CpuProfiler> {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  return {
    async stop(path) {
      const { profile } = await session.post("Profiler.stop");
      writeFileSync(path, JSON.stringify(profile));
      session.disconnect();
    },
  };
}
