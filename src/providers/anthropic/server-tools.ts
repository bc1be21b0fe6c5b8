import type { Nano } from "../../money.js";
import { worstCaseCost } from "../../pricing/cost.js";
import type { TokenPrice } from "../../pricing/types.js";
import type { ServiceTier } from "../../types.js";
import { readCount } from "../request.js";
import type { PlanContext } from "../types.js";

/** Server-side web searches a response may run when the tool sets no `max_uses`: strict mode sends this. */
export const DEFAULT_MAX_USES = 8;
/** Advisor consultations a response may make when the tool sets no `max_uses`: strict mode sends this. */
export const DEFAULT_ADVISOR_USES = 3;

type Tool = Record<string, unknown>;

/** What the server-side tools of a request can add to its cost, and the tools with their limits set. */
export interface ServerToolBound {
  /** Whether tool results join the context (web search, fetch, advisor): the input is bounded by the window. */
  growsContext: boolean;
  /** The worst case of the per-use charges (searches) and of the advisor's own inferences. */
  extra: Nano;
  notes: string[];
  /** The price of each advisor model, to settle its iterations at its own rate. */
  advisorPrices: ReadonlyMap<string, TokenPrice>;
  /** The tools to send: every web search and advisor tool with a `max_uses`. */
  tools: Tool[] | undefined;
}

export async function serverToolBound(
  body: Record<string, unknown>,
  price: TokenPrice,
  context: PlanContext,
  tier: ServiceTier,
): Promise<ServerToolBound> {
  const given = Array.isArray(body.tools) ? (body.tools as Tool[]) : undefined;
  const bound: ServerToolBound = {
    growsContext: false,
    extra: 0,
    notes: [],
    advisorPrices: new Map(),
    tools: given,
  };
  if (!given) return bound;
  const prices = new Map<string, TokenPrice>();
  let limited = false;
  const tools: Tool[] = [];
  for (const tool of given) {
    const type = typeof tool?.type === "string" ? tool.type : "";
    if (type.startsWith("web_search_")) {
      bound.growsContext = true;
      const uses = readCount(tool, "max_uses") ?? DEFAULT_MAX_USES;
      bound.extra += uses * Math.ceil((price.webSearchPerThousand ?? 0) / 1000);
      limited ||= tool.max_uses === undefined;
      tools.push(tool.max_uses === undefined ? { ...tool, max_uses: DEFAULT_MAX_USES } : tool);
    } else if (type.startsWith("advisor_")) {
      // The advisor is another model reading the whole transcript, billed at its own rates, once per use.
      bound.growsContext = true;
      const model = typeof tool.model === "string" ? tool.model : price.model;
      const advisor = await context.catalog.tokenPrice("anthropic", model, tier);
      prices.set(advisor.model, advisor);
      prices.set(model, advisor);
      const uses = readCount(tool, "max_uses") ?? DEFAULT_ADVISOR_USES;
      const output = readCount(tool, "max_tokens") ?? advisor.maxOutputTokens ?? 32_000;
      const input = advisor.contextWindow ?? price.contextWindow ?? 200_000;
      bound.extra += uses * worstCaseCost(advisor, { inputTokens: input, outputTokens: output });
      bound.notes.push(
        `advisor ${advisor.model}: ${uses} uses of up to ${input} input + ${output} output tokens`,
      );
      limited ||= tool.max_uses === undefined;
      tools.push(tool.max_uses === undefined ? { ...tool, max_uses: DEFAULT_ADVISOR_USES } : tool);
    } else {
      if (type.startsWith("web_fetch_")) bound.growsContext = true;
      tools.push(tool);
    }
  }
  bound.advisorPrices = prices;
  bound.tools = limited ? tools : given;
  return bound;
}
