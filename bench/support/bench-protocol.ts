/** Messages between a benchmark and its server child process. */
export type BenchRequest =
  | {
      readonly type: "fill";
      readonly namespace: string;
      readonly prefix: string;
      readonly count: number;
      readonly valueBytes: number;
    }
  | { readonly type: "memory" }
  | { readonly type: "buffered"; readonly namespace: string }
  | { readonly type: "profile-start" }
  | { readonly type: "profile-stop"; readonly path: string }
  | { readonly type: "stop" };

export type BenchReply =
  | { readonly type: "ready"; readonly url: string }
  | { readonly type: "filled" }
  | { readonly type: "profiled" }
  | {
      readonly type: "memory";
      readonly rss: number;
      readonly heapUsed: number;
      readonly external: number;
      readonly arrayBuffers: number;
    }
  | { readonly type: "error"; readonly message: string };

export type MemoryReply = Extract<BenchReply, { type: "memory" }>;
