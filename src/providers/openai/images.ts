import { InvalidRequestError, UnknownPriceError } from "../../errors.js";
import type { Admission, CallLedger, CallPlan, Outcome } from "../../ledger/types.js";
import { type Nano, roundTo } from "../../money.js";
import { usageCost } from "../../pricing/cost.js";
import { imageInputTokenBound, imagePrice, imageQualities } from "../../pricing/media.js";
import type { TokenPrice } from "../../pricing/types.js";
import type { RequestFacts } from "../../rules/types.js";
import { encodingForModel, loadTokenizer } from "../../tokenize/index.js";
import type { Usage } from "../../types.js";
import { eventSseTap, parseObject } from "../event-stream.js";
import { createMeter, jsonBody } from "../meter.js";
import { readCount, requireBody } from "../request.js";
import type { Operation, PlanContext } from "../types.js";
import { imagesUsage } from "./usage.js";

/** Output image tokens of one partial image in a stream (OpenAI's image generation guide). */
const PARTIAL_IMAGE_TOKENS = 100;

export interface ImagesPlan extends CallPlan {
  /** Price of one output image of this request (the reservation, and dall-e's settlement). */
  perImage: Nano;
  /** gpt-image models are settled from token usage. */
  tokenPrice?: TokenPrice;
}

function operation(
  path: string,
  url: RegExp,
  defaultModel: string,
  kind: "generate" | "edit" | "variation",
): Operation<ImagesPlan> {
  const op: Operation<ImagesPlan> = {
    path,
    url,
    plan: (params, context) => planImages(path, params, context, defaultModel, kind),
    meter: (admission, plan, ledger) => imagesMeter(admission, plan, ledger),
    facts: (params) => imageFacts(params, defaultModel),
    rewrite: (params, rewrite) =>
      rewrite.quality === undefined ? params : { ...(params as object), quality: rewrite.quality },
  };
  return op;
}

/**
 * An image request as the rules see it: a missing quality or size is the API's default (dall-e: `standard`,
 * 1024x1024; gpt-image: `auto`), and `auto` counts as the dearest quality and the largest size the model may
 * pick.
 */
function imageFacts(params: unknown, defaultModel: string): RequestFacts {
  const body = (typeof params === "object" && params !== null ? params : {}) as Record<string, unknown>;
  const model = typeof body.model === "string" && body.model.length > 0 ? body.model : defaultModel;
  const dallE = model.toLowerCase().startsWith("dall-e");
  const quality = typeof body.quality === "string" ? body.quality : dallE ? "standard" : "auto";
  const size = typeof body.size === "string" ? body.size : dallE ? "1024x1024" : "auto";
  const quote = imagePrice(model, { quality, size });
  const count = typeof body.n === "number" ? body.n : 1;
  return {
    model,
    quality: quality === "auto" && quote ? quote.quality : quality,
    ...(imageQualities(model) && { qualities: imageQualities(model) }),
    size: size === "auto" && quote ? quote.size : size,
    count,
  };
}

export const imagesGenerate = operation("images.generate", /\/images\/generations$/, "dall-e-2", "generate");
export const imagesEdit = operation("images.edit", /\/images\/edits$/, "dall-e-2", "edit");
export const imagesVariation = operation(
  "images.createVariation",
  /\/images\/variations$/,
  "dall-e-2",
  "variation",
);

async function planImages(
  path: string,
  params: unknown,
  context: PlanContext,
  defaultModel: string,
  kind: "generate" | "edit" | "variation",
): Promise<ImagesPlan> {
  const body = requireBody(params, path);
  const model = typeof body.model === "string" && body.model.length > 0 ? body.model : defaultModel;
  const n = readCount(body, "n", 10) ?? 1;
  const quality = typeof body.quality === "string" ? body.quality : undefined;
  const size = typeof body.size === "string" ? body.size : undefined;
  const quote = imagePrice(model, {
    ...(quality !== undefined && { quality }),
    ...(size !== undefined && { size }),
  });
  if (!quote) {
    throw new UnknownPriceError(
      "openai",
      model,
      `Image model \`${model}\` is not in spendguard's media price table.`,
    );
  }
  const notes = [...quote.assumed];
  let amount = n * quote.perImage;
  let tokenPrice: TokenPrice | undefined;

  if (quote.model.startsWith("gpt-image") || quote.model.startsWith("chatgpt-image")) {
    // Settled from token usage; the reservation adds what the per-image price does not cover.
    tokenPrice = await context.catalog.tokenPrice("openai", quote.model, "standard");
    const tokenizer = await loadTokenizer(encodingForModel(quote.model));
    const promptTokens = typeof body.prompt === "string" ? tokenizer.count(body.prompt) : 0;
    const inputImages = kind === "edit" ? countUploads(body.image) + (body.mask ? 1 : 0) : 0;
    const fidelity = body.input_fidelity === "low" ? "low" : "high";
    const imageTokens = inputImages * (imageInputTokenBound(quote.model, fidelity) ?? 0);
    const partials = body.stream === true ? (readCount(body, "partial_images", 3) ?? 0) : 0;
    amount += usageCost(
      tokenPrice,
      {
        inputTokens: promptTokens + imageTokens,
        inputImageTokens: imageTokens,
        outputTokens: partials * PARTIAL_IMAGE_TOKENS * n,
        outputImageTokens: partials * PARTIAL_IMAGE_TOKENS * n,
      },
      "up",
    );
    if (inputImages > 0) notes.push(`${inputImages} input image(s) at ${fidelity} fidelity`);
    if (partials > 0) notes.push(`${partials} partial image(s) per image`);
  } else if (body.stream === true) {
    throw new InvalidRequestError(`Image streaming is for gpt-image models; \`${model}\` does not stream`);
  }

  const units = `${n} × ${quote.quality} ${quote.size} image(s)`;
  const perImage = quote.perImage;
  return {
    provider: "openai",
    operation: path,
    model,
    stream: body.stream === true,
    tier: "standard",
    resolvedModel: quote.model,
    priceSource: quote.source,
    hold: { kind: "fixed", amount: roundTo(amount, "up"), expected: roundTo(amount, "up"), units },
    cost(usage) {
      // gpt-image usage is in tokens; dall-e has none and costs per image.
      if (tokenPrice && (usage.inputTokens > 0 || usage.outputTokens > 0))
        return usageCost(tokenPrice, usage, "nearest");
      return (usage.images ?? 0) * perImage;
    },
    confidence: quote.assumed.length > 0 ? "medium" : "high",
    notes,
    fromHelper: context.fromHelper,
    paramsWithLimit: () => ({ ...body }),
    perImage,
    ...(tokenPrice && { tokenPrice }),
  };
}

function countUploads(image: unknown): number {
  if (Array.isArray(image)) return image.length;
  return image === undefined || image === null ? 0 : 1;
}

function imagesMeter(admission: Admission, plan: ImagesPlan, ledger: CallLedger) {
  const settle = (outcome: Outcome) => ledger.finish(admission, outcome);
  return createMeter((response) => {
    const contentType = response.headers.get("content-type") ?? "";
    if (plan.stream && contentType.includes("text/event-stream")) {
      // Each `…completed` event carries one image's usage: add them all up once the stream is over.
      return eventSseTap(
        response,
        {
          final: () => undefined,
          unfinished(frames, cutShort) {
            let images = 0;
            let total: Usage = { inputTokens: 0, outputTokens: 0, inputImageTokens: 0, outputImageTokens: 0 };
            for (const frame of frames) {
              if (!frame.event?.endsWith(".completed")) continue;
              const usage = imagesUsage(parseObject(frame.data)?.usage);
              images++;
              if (usage) total = add(total, usage);
            }
            if (images === 0) return { kind: "hold", flags: [cutShort ? "interrupted" : "no_usage"] };
            if (total.inputTokens + total.outputTokens === 0) return { kind: "hold", flags: ["no_usage"] };
            return { kind: "usage", usage: { ...total, images } };
          },
        },
        settle,
      );
    }
    return jsonBody(response, (json, error) => {
      if (!json)
        return settle({
          kind: "hold",
          flags: [error === "interrupted" ? "interrupted" : "malformed_response"],
        });
      const images = Array.isArray(json.data) ? json.data.length : 0;
      const usage = imagesUsage(json.usage);
      if (plan.tokenPrice && !usage) return settle({ kind: "hold", flags: ["no_usage"] });
      settle({
        kind: "usage",
        usage: usage ? { ...usage, images } : { inputTokens: 0, outputTokens: 0, images },
      });
    });
  });
}

function add(a: Usage, b: Usage): Usage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    inputImageTokens: (a.inputImageTokens ?? 0) + (b.inputImageTokens ?? 0),
    outputImageTokens: (a.outputImageTokens ?? 0) + (b.outputImageTokens ?? 0),
  };
}
