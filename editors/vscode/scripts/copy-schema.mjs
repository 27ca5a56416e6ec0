// Copies the repository's JSON Schema into the extension (schemas/ is gitignored), so the
// packaged .vsix carries the schema without a second committed copy drifting from the first.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "..", "..", "schemas", "tunelint.schema.json");
const target = join(root, "schemas", "tunelint.schema.json");
mkdirSync(dirname(target), { recursive: true });
copyFileSync(source, target);
console.log(`copied ${source} -> ${target}`);
