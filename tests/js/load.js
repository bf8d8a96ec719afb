// Runs one of the pages' static scripts as the browser would (a classic script sharing one
// global object), without a DOM: only scripts whose top level needs no document load here.
// What they return is of that other realm: spread an object before a deepEqual.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

const STATIC = fileURLToPath(new URL("../../services/projections/static/", import.meta.url));

export function load(...names) {
  const context = vm.createContext({});
  for (const name of names) {
    vm.runInContext(readFileSync(STATIC + name, "utf8"), context, { filename: name });
  }
  return context;
}
