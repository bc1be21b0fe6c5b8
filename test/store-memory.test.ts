import { describe, it } from "vitest";
import { memoryStore } from "../src/stores/memory.js";
import { storeConformanceCases } from "../src/testing/index.js";

describe("the memory store", () => {
  for (const conformance of storeConformanceCases(() => memoryStore())) it(conformance.name, conformance.run);
});
