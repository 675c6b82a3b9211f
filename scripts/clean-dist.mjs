// Removes the compiled package (dist/src, dist/gen) so that `npm pack` (prepack) ships only
// what the current sources compile to, never a file left from a source deleted since.
import { rmSync } from "node:fs";

for (const dir of ["dist/src", "dist/gen"]) rmSync(dir, { recursive: true, force: true });
