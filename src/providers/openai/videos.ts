import { InvalidRequestError, UnknownPriceError } from "../../errors.js";
import type { Admission, CallLedger, CallPlan, Outcome } from "../../ledger/types.js";
import { mulDiv } from "../../money.js";
import { videoMaxSeconds, videoPrice } from "../../pricing/media.js";
import { createMeter, jsonBody } from "../meter.js";
import { requireBody } from "../request.js";
import type { LaterHook, Operation, PlanContext, ProviderMemory } from "../types.js";

const DEFAULT_MODEL = "sora-2";
const DEFAULT_SECONDS = 4;

interface VideoPlan extends CallPlan {
  memory: ProviderMemory;
  seconds: number;
  size: string;
}

type Kind = "create" | "remix" | "edit" | "extend";

function videoOperation(path: string, url: RegExp, kind: Kind): Operation<VideoPlan> {
  const operation: Operation<VideoPlan> = {
    path,
    url,
    plan: (params, context) => planVideo(path, kind, params, context),
    meter: (admission, plan, ledger) => videoMeter(admission, plan, ledger),
    facts(params, context) {
      const body = (typeof params === "object" && params !== null ? params : {}) as Record<string, unknown>;
      const sourceId = kind === "remix" ? context.args[0] : (body.video as { id?: unknown } | undefined)?.id;
      const source = typeof sourceId === "string" ? context.memory.videos.get(sourceId) : undefined;
      const model = typeof body.model === "string" ? body.model : (source?.model ?? DEFAULT_MODEL);
      const given = typeof body.seconds === "string" ? Number(body.seconds) : body.seconds;
      // A remix or edit of a video this session did not see may be as long as the model allows.
      const seconds =
        typeof given === "number" && Number.isFinite(given)
          ? given
          : kind === "create"
            ? DEFAULT_SECONDS
            : (source?.seconds ?? videoMaxSeconds(model) ?? 20);
      return { model, seconds };
    },
  };
  return operation;
}

/** Video generation (Sora): billed per second of the video, when it has been generated. */
export const videosCreate = videoOperation("videos.create", /\/videos$/, "create");
export const videosRemix = videoOperation("videos.remix", /\/videos\/([^/]+)\/remix$/, "remix");
export const videosEdit = videoOperation("videos.edit", /\/videos\/edits$/, "edit");
export const videosExtend = videoOperation("videos.extend", /\/videos\/extensions$/, "extend");

async function planVideo(
  path: string,
  kind: Kind,
  params: unknown,
  context: PlanContext,
): Promise<VideoPlan> {
  const body = requireBody(params, path);
  const notes: string[] = [];
  // Remixes and edits take the model, length and size of the video they start from.
  const sourceId = kind === "remix" ? context.args[0] : (body.video as { id?: unknown } | undefined)?.id;
  const source = typeof sourceId === "string" ? context.memory.videos.get(sourceId) : undefined;
  let model = typeof body.model === "string" ? body.model : (source?.model ?? DEFAULT_MODEL);
  let seconds: number;
  if (kind === "create" || kind === "extend") {
    seconds = readSeconds(body.seconds) ?? (kind === "create" ? DEFAULT_SECONDS : undefined) ?? 0;
    if (kind === "extend" && seconds === 0)
      throw new InvalidRequestError("Expected `seconds` for videos.extend");
  } else if (source) {
    seconds = source.seconds;
  } else {
    // A video this session did not see: its model and length are unknown, so the dearest apply.
    if (typeof body.model !== "string") model = "sora-2-pro";
    seconds = videoMaxSeconds(model) ?? 20;
    notes.push(`the source video is unknown to this session: held for ${seconds} s at ${model}'s price`);
  }
  const size = typeof body.size === "string" ? body.size : (source?.size ?? undefined);
  const quote = videoPrice(model, size);
  if (!quote)
    throw new UnknownPriceError(
      "openai",
      model,
      `Video model \`${model}\` is not in spendguard's media price table.`,
    );
  notes.push(...quote.assumed);
  const amount = seconds * quote.perSecond;
  return {
    provider: "openai",
    operation: path,
    model,
    stream: false,
    tier: "standard",
    resolvedModel: quote.model,
    priceSource: quote.source,
    hold: { kind: "fixed", amount, expected: amount, units: `${seconds} s of ${quote.size} video` },
    cost: (usage) => mulDiv(Math.ceil(usage.seconds ?? 0), quote.perSecond, 1, "nearest"),
    confidence: source || kind === "create" || kind === "extend" ? "high" : "low",
    notes,
    fromHelper: context.fromHelper,
    paramsWithLimit: () => ({ ...body }),
    memory: context.memory,
    seconds,
    size: quote.size,
  };
}

function readSeconds(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const seconds = typeof value === "string" ? Number(value) : value;
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds <= 0) {
    throw new InvalidRequestError(
      `Expected \`seconds\` to be a positive number of seconds, got ${JSON.stringify(value)}`,
    );
  }
  return seconds;
}

/** A `Video` object's outcome: settled when completed, released when failed, undefined while running. */
function videoOutcome(video: Record<string, unknown>, plannedSeconds: number): Outcome | undefined {
  if (video.status === "failed") return { kind: "failed", reason: "video_failed" };
  if (video.status !== "completed") return undefined;
  const reported = typeof video.seconds === "string" ? Number(video.seconds) : video.seconds;
  const seconds = typeof reported === "number" && reported > 0 ? reported : plannedSeconds;
  const outcome: Outcome =
    seconds > 0
      ? { kind: "usage", usage: { inputTokens: 0, outputTokens: 0, seconds } }
      : { kind: "hold", flags: ["no_usage"] };
  if (typeof video.id === "string") outcome.requestId = video.id;
  if (typeof video.model === "string") outcome.responseModel = video.model;
  return outcome;
}

function videoMeter(admission: Admission, plan: VideoPlan, ledger: CallLedger) {
  return createMeter((response) =>
    jsonBody(response, (json, error) => {
      if (!json) {
        return void ledger.finish(admission, {
          kind: "hold",
          flags: [error === "interrupted" ? "interrupted" : "malformed_response"],
        });
      }
      const id = typeof json.id === "string" ? json.id : undefined;
      if (id)
        plan.memory.videos.set(id, { model: plan.resolvedModel, seconds: plan.seconds, size: plan.size });
      const outcome = videoOutcome(json, plan.seconds);
      if (outcome) return void ledger.finish(admission, outcome);
      // Queued: the video is billed once generated; the hold waits for `videos.retrieve` to see it done.
      if (id) ledger.awaitLater(id, admission);
      else void ledger.finish(admission, { kind: "hold", flags: ["no_usage"] });
    }),
  );
}

export const videosRetrieve: LaterHook = {
  path: "videos.retrieve",
  method: "GET",
  url: /\/videos\/([^/]+)$/,
  meter: (key, ledger) =>
    createMeter((response) =>
      jsonBody(response, (json) => {
        const outcome = json ? videoOutcome(json, 0) : undefined;
        if (outcome) ledger.settleLater(key, outcome);
      }),
    ),
};
