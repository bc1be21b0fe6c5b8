import { stat } from "node:fs/promises";
import { InvalidRequestError, UnknownPriceError } from "../../errors.js";
import { tapResponse } from "../../intercept/body-tap.js";
import type { Admission, CallLedger, CallPlan, Outcome } from "../../ledger/types.js";
import { mulDiv, type Nano } from "../../money.js";
import {
  maxAudioSecondsForBytes,
  SPEECH_CHARACTERS_PER_SECOND,
  type SpeechPrice,
  speechPrice,
  type TranscriptionPrice,
  transcriptionPrice,
  wavDurationSeconds,
} from "../../pricing/media.js";
import { encodingForModel, loadTokenizer } from "../../tokenize/index.js";
import type { Usage } from "../../types.js";
import { eventSseTap } from "../event-stream.js";
import { createMeter, jsonBody } from "../meter.js";
import { requireBody, requireModel } from "../request.js";
import type { Operation, PlanContext } from "../types.js";
import { transcriptionUsage } from "./usage.js";

const PER_MTOK = 1_000_000;
/** `pcm` output: 24 kHz, 16-bit, mono (OpenAI's speech guide). */
const PCM_BYTES_PER_SECOND = 48_000;
/** The largest upload the transcription endpoints accept (25 MB): the bound when a file's size is unknown. */
const MAX_UPLOAD_BYTES = 25 * 1024 * 1024;
/**
 * Transcript tokens per second of audio allowed when reserving: fast speech is ~4 words (~5–6 tokens) a
 * second; twice that bounds it.
 */
const TRANSCRIPT_TOKENS_PER_SECOND = 12;

// ---------------------------------------------------------------------------------------------------------
// Speech

interface SpeechPlan extends CallPlan {
  price: SpeechPrice;
  characters: number;
  inputTokens: number;
}

/** `audio.speech.create`: tts-1 / tts-1-hd per character (exact), gpt-4o-mini-tts per token (bounded). */
export const speech: Operation<SpeechPlan> = {
  path: "audio.speech.create",
  url: /\/audio\/speech$/,
  async plan(params, context): Promise<SpeechPlan> {
    const body = requireBody(params, "audio.speech.create");
    const model = requireModel(body, "audio.speech.create");
    if (typeof body.input !== "string")
      throw new InvalidRequestError("Expected `input` to be the text to speak");
    const price = speechPrice(model);
    if (!price)
      throw new UnknownPriceError(
        "openai",
        model,
        `Speech model \`${model}\` is not in spendguard's media price table.`,
      );
    const characters = body.input.length;
    let inputTokens = 0;
    let amount: Nano;
    const notes: string[] = [];
    if (price.kind === "characters") {
      amount = mulDiv(characters, price.perMillionCharacters, PER_MTOK, "up");
    } else {
      const tokenizer = await loadTokenizer(encodingForModel(model));
      inputTokens =
        tokenizer.count(body.input) +
        (typeof body.instructions === "string" ? tokenizer.count(body.instructions) : 0);
      const speed = typeof body.speed === "number" && body.speed > 0 ? body.speed : 1;
      const seconds = characters / SPEECH_CHARACTERS_PER_SECOND / speed;
      const audioTokens = Math.ceil(seconds * price.audioTokensPerSecond);
      amount =
        mulDiv(inputTokens, price.inputPerMTok, PER_MTOK, "up") +
        mulDiv(audioTokens, price.outputAudioPerMTok, PER_MTOK, "up");
      notes.push(
        `audio bounded at ${SPEECH_CHARACTERS_PER_SECOND} characters a second at speed ${speed}: ${audioTokens} audio tokens`,
      );
    }
    return {
      provider: "openai",
      operation: "audio.speech.create",
      model,
      stream: body.stream_format === "sse",
      tier: "standard",
      resolvedModel: price.model,
      priceSource: price.source,
      hold: { kind: "fixed", amount, expected: amount, units: `${characters} characters` },
      cost: (usage) => speechCost(price, usage),
      confidence: price.kind === "characters" ? "high" : "medium",
      notes,
      fromHelper: context.fromHelper,
      paramsWithLimit: () => ({ ...body }),
      price,
      characters,
      inputTokens,
    };
  },
  meter(admission, plan, ledger) {
    const settle = (outcome: Outcome) => ledger.finish(admission, outcome);
    return createMeter((response) => {
      // Billed by the characters sent: known before the audio arrives.
      if (plan.price.kind === "characters") {
        settle({ kind: "usage", usage: { inputTokens: 0, outputTokens: 0, characters: plan.characters } });
        return response;
      }
      const contentType = response.headers.get("content-type") ?? "";
      if (contentType.includes("text/event-stream")) {
        return eventSseTap(
          response,
          {
            final(event, data) {
              if (event !== "speech.audio.done") return undefined;
              const usage = data.usage as { input_tokens?: number; output_tokens?: number } | undefined;
              if (typeof usage?.input_tokens !== "number" || typeof usage.output_tokens !== "number")
                return undefined;
              return {
                kind: "usage",
                usage: { inputTokens: usage.input_tokens, outputTokens: usage.output_tokens },
              };
            },
            unfinished: (_frames, cutShort) => ({
              kind: "hold",
              flags: [cutShort ? "interrupted" : "no_usage"],
            }),
          },
          settle,
        );
      }
      const format = responseFormat(admission.params);
      if (format !== "pcm" && format !== "wav") {
        settle({ kind: "hold", flags: ["no_usage"] });
        return response;
      }
      // Uncompressed audio: its length gives the seconds generated.
      let bytes = 0;
      return tapResponse(response, {
        chunk(chunk) {
          bytes += chunk.byteLength;
          return chunk;
        },
        end() {
          const seconds = Math.max(0, bytes - (format === "wav" ? 44 : 0)) / PCM_BYTES_PER_SECOND;
          const price = plan.price as Extract<SpeechPrice, { kind: "tokens" }>;
          settle({
            kind: "estimated",
            usage: {
              inputTokens: plan.inputTokens,
              outputTokens: Math.ceil(seconds * price.audioTokensPerSecond),
              seconds,
            },
            flags: ["no_usage"],
          });
          return undefined;
        },
        stop: () => settle({ kind: "hold", flags: ["interrupted"] }),
      });
    });
  },
};

function speechCost(price: SpeechPrice, usage: Usage): Nano {
  if (price.kind === "characters")
    return mulDiv(usage.characters ?? 0, price.perMillionCharacters, PER_MTOK, "nearest");
  // Seconds measured from uncompressed audio, no token count: the text tokens plus OpenAI's per-minute rate.
  if (usage.seconds !== undefined && price.perMinute !== undefined)
    return (
      mulDiv(usage.inputTokens, price.inputPerMTok, PER_MTOK, "nearest") +
      Math.round((usage.seconds * price.perMinute) / 60)
    );
  return (
    mulDiv(usage.inputTokens, price.inputPerMTok, PER_MTOK, "nearest") +
    mulDiv(usage.outputTokens, price.outputAudioPerMTok, PER_MTOK, "nearest")
  );
}

function responseFormat(params: unknown): string {
  const format = (params as { response_format?: unknown } | undefined)?.response_format;
  return typeof format === "string" ? format : "mp3";
}

// ---------------------------------------------------------------------------------------------------------
// Transcriptions and translations

interface TranscriptionPlan extends CallPlan {
  price: TranscriptionPrice;
  /** The audio's exact length, when the upload is a WAV file. */
  exactSeconds?: number;
}

function transcriptionOperation(path: string, url: RegExp): Operation<TranscriptionPlan> {
  const operation: Operation<TranscriptionPlan> = {
    path,
    url,
    plan: (params, context) => planTranscription(path, params, context),
    meter: (admission, plan, ledger) => transcriptionMeter(admission, plan, ledger),
  };
  return operation;
}

export const transcriptions = transcriptionOperation(
  "audio.transcriptions.create",
  /\/audio\/transcriptions$/,
);
export const translations = transcriptionOperation("audio.translations.create", /\/audio\/translations$/);

async function planTranscription(
  path: string,
  params: unknown,
  context: PlanContext,
): Promise<TranscriptionPlan> {
  const body = requireBody(params, path);
  const model = requireModel(body, path);
  const price = transcriptionPrice(model);
  if (!price) {
    throw new UnknownPriceError(
      "openai",
      model,
      `Transcription model \`${model}\` is not in spendguard's media price table.`,
    );
  }
  const audio = await audioLength(body.file);
  let seconds = audio.seconds;
  const notes = [audio.note];
  if (price.maxDurationSeconds !== undefined && seconds > price.maxDurationSeconds) {
    seconds = price.maxDurationSeconds;
    notes.push(`capped at the model's ${price.maxDurationSeconds} s limit`);
  }
  let amount: Nano;
  if (price.billing === "duration" || !price.tokens) {
    amount = mulDiv(Math.ceil(seconds), price.perMinute, 60, "up");
  } else {
    const rates = price.tokens;
    const tokenizer = await loadTokenizer(encodingForModel(model));
    const promptTokens = typeof body.prompt === "string" ? tokenizer.count(body.prompt) : 0;
    const audioTokens = Math.ceil(seconds * (rates.audioTokensPerSecond ?? 17));
    const outputTokens = Math.ceil(seconds * TRANSCRIPT_TOKENS_PER_SECOND);
    amount =
      mulDiv(promptTokens, rates.textInputPerMTok, PER_MTOK, "up") +
      mulDiv(audioTokens, rates.audioInputPerMTok, PER_MTOK, "up") +
      mulDiv(outputTokens, rates.textOutputPerMTok, PER_MTOK, "up");
    notes.push(`transcript bounded at ${TRANSCRIPT_TOKENS_PER_SECOND} tokens a second of audio`);
  }
  return {
    provider: "openai",
    operation: path,
    model,
    stream: body.stream === true,
    tier: "standard",
    resolvedModel: price.model,
    priceSource: price.source,
    hold: { kind: "fixed", amount, expected: amount, units: `${Math.ceil(seconds)} s of audio` },
    cost: (usage) => transcriptionCost(price, usage),
    confidence: audio.exact ? "high" : "low",
    notes,
    fromHelper: context.fromHelper,
    paramsWithLimit: () => ({ ...body }),
    price,
    ...(audio.exact && { exactSeconds: audio.seconds }),
  };
}

function transcriptionCost(price: TranscriptionPrice, usage: Usage): Nano {
  if (usage.seconds !== undefined && usage.inputTokens === 0 && usage.outputTokens === 0) {
    return mulDiv(Math.ceil(usage.seconds), price.perMinute, 60, "nearest");
  }
  const rates = price.tokens;
  if (!rates) return mulDiv(Math.ceil(usage.seconds ?? 0), price.perMinute, 60, "nearest");
  const audio = usage.inputAudioTokens ?? 0;
  return (
    mulDiv(Math.max(0, usage.inputTokens - audio), rates.textInputPerMTok, PER_MTOK, "nearest") +
    mulDiv(audio, rates.audioInputPerMTok, PER_MTOK, "nearest") +
    mulDiv(usage.outputTokens, rates.textOutputPerMTok, PER_MTOK, "nearest")
  );
}

/**
 * How long the uploaded audio can be: exact for a WAV file, otherwise bounded by its size at the lowest
 * plausible bitrate (the bound the media table documents), or by the largest upload when its size is unknown.
 */
async function audioLength(file: unknown): Promise<{ seconds: number; exact: boolean; note: string }> {
  if (file && typeof (file as Blob).arrayBuffer === "function" && typeof (file as Blob).size === "number") {
    const bytes = new Uint8Array(await (file as Blob).arrayBuffer());
    const exact = wavDurationSeconds(bytes);
    if (exact !== undefined) return { seconds: exact, exact: true, note: `WAV audio: ${exact.toFixed(2)} s` };
    const seconds = maxAudioSecondsForBytes(bytes.byteLength);
    return {
      seconds,
      exact: false,
      note: `${bytes.byteLength} bytes of compressed audio: at most ${seconds} s`,
    };
  }
  const path = (file as { path?: unknown } | null)?.path;
  if (typeof path === "string") {
    const size = (await stat(path).catch(() => undefined))?.size;
    if (size !== undefined) {
      const seconds = maxAudioSecondsForBytes(size);
      return { seconds, exact: false, note: `${size} bytes of audio: at most ${seconds} s` };
    }
  }
  const seconds = maxAudioSecondsForBytes(MAX_UPLOAD_BYTES);
  return {
    seconds,
    exact: false,
    note: `audio of unknown size: bounded by the 25 MB upload limit (${seconds} s)`,
  };
}

function transcriptionMeter(admission: Admission, plan: TranscriptionPlan, ledger: CallLedger) {
  const settle = (outcome: Outcome) => ledger.finish(admission, outcome);
  const withoutUsage = (flag: "no_usage" | "interrupted" | "malformed_response"): Outcome =>
    plan.exactSeconds !== undefined && flag === "no_usage"
      ? {
          kind: "estimated",
          usage: { inputTokens: 0, outputTokens: 0, seconds: plan.exactSeconds },
          flags: [],
        }
      : { kind: "hold", flags: [flag] };
  return createMeter((response) => {
    const contentType = response.headers.get("content-type") ?? "";
    if (contentType.includes("text/event-stream")) {
      return eventSseTap(
        response,
        {
          final(event, data) {
            if (event !== "transcript.text.done") return undefined;
            const usage = transcriptionUsage(data.usage);
            return usage ? { kind: "usage", usage } : undefined;
          },
          unfinished: (_frames, cutShort) => withoutUsage(cutShort ? "interrupted" : "no_usage"),
        },
        settle,
      );
    }
    if (!contentType.includes("json")) {
      // `text`, `srt` and `vtt` answers carry no usage.
      settle(withoutUsage("no_usage"));
      return response;
    }
    return jsonBody(response, (json, error) => {
      if (!json) return settle(withoutUsage(error === "interrupted" ? "interrupted" : "malformed_response"));
      const usage =
        transcriptionUsage(json.usage) ??
        (typeof json.duration === "number"
          ? { inputTokens: 0, outputTokens: 0, seconds: json.duration }
          : undefined);
      settle(usage ? { kind: "usage", usage } : withoutUsage("no_usage"));
    });
  });
}
