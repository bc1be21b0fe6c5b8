import type { RequestFacts, RequestRewrite } from "../rules/types.js";
import type { Operation } from "./types.js";

type RuleHooks = Required<Pick<Operation, "facts" | "rewrite">>;

function bodyOf(params: unknown): Record<string, unknown> {
  return typeof params === "object" && params !== null ? (params as Record<string, unknown>) : {};
}

/** The facts every request has: its model. */
export function modelFacts(params: unknown): RequestFacts {
  const { model } = bodyOf(params);
  return { model: typeof model === "string" ? model : "" };
}

/**
 * Rule hooks of a request whose output limit is the first of `fields` it sets (`max_completion_tokens`, then
 * the older `max_tokens`); a rewrite writes back to that field, or to the first one when none was set.
 */
export function outputLimitHooks(fields: readonly [string, ...string[]], defaultLimit?: number): RuleHooks {
  const present = (body: Record<string, unknown>) => fields.find((field) => typeof body[field] === "number");
  return {
    facts(params) {
      const body = bodyOf(params);
      const field = present(body);
      const limit = field ? (body[field] as number) : defaultLimit;
      return {
        ...modelFacts(params),
        hasOutputLimit: true,
        ...(limit !== undefined && { outputLimit: limit }),
      };
    },
    rewrite(params, rewrite: RequestRewrite) {
      if (rewrite.outputLimit === undefined) return params;
      const body = bodyOf(params);
      return { ...body, [present(body) ?? fields[0]]: rewrite.outputLimit };
    },
  };
}
