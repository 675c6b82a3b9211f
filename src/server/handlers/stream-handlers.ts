import type { HandlerContext as ConnectContext, ServiceImpl } from "@connectrpc/connect";
import type { StoreService } from "../../../gen/anykv/v1/store_pb.js";
import { AnykvError, isAnykvError } from "../../errors.js";
import { splitLines } from "../../store/lines.js";
import type { Entry } from "../../store/store.js";
import { type HandlerContext, notFound } from "./handler-context.js";

type StreamHandlers = Pick<ServiceImpl<typeof StoreService>, "stream">;

export function createStreamHandlers(ctx: HandlerContext): StreamHandlers {
  const { store } = ctx;
  return {
    // anystore's store.stream: the stored bytes line by line, each line decoded
    // on its own as bytes without metadata are (auto: JSON, else text, else
    // bytes). Lines are pulled as the client reads.
    async *stream(req, call: ConnectContext) {
      const entry = await store.get(req.namespace, req.key);
      if (!entry) throw notFound(req.namespace, store.key(req.key));
      let number = 0;
      for await (const line of splitLines(store.chunks(entry))) {
        if (call.signal.aborted) return;
        number++;
        yield { value: (await readLine(ctx, entry, line, number, req)).value! };
      }
    },
  };
}

async function readLine(
  ctx: HandlerContext,
  entry: Entry,
  line: Uint8Array,
  number: number,
  req: Parameters<HandlerContext["read"]>[1],
) {
  // A line has no recorded codec or kind of its own: decode it like imported bytes.
  const lineEntry: Entry = {
    ...entry,
    value: line,
    meta: { ...entry.meta, codec: "", kind: "", chunks: undefined },
  };
  try {
    return await ctx.read(lineEntry, req);
  } catch (err) {
    if (!isAnykvError(err, "DECODE_FAILED")) throw err;
    const why = err.cause instanceof Error ? err.cause.message : err.message;
    throw new AnykvError(
      "DECODE_FAILED",
      `line ${number} of key "${entry.key}" cannot be read in ${ctx.mode(req.mode)} mode: ${why}; read it with mode auto or raw`,
      { cause: err },
    );
  }
}
