import type { LaterHook, Operation } from "../types.js";
import { speech, transcriptions, translations } from "./audio.js";
import { chatCompletions } from "./chat.js";
import { legacyCompletions } from "./completions.js";
import { embeddings } from "./embeddings.js";
import { imagesEdit, imagesGenerate, imagesVariation } from "./images.js";
import { responsesCancel, responsesCompact, responsesCreate, responsesRetrieve } from "./responses.js";
import { videosCreate, videosEdit, videosExtend, videosRemix, videosRetrieve } from "./videos.js";

/** Every metered method of the OpenAI client, by its SDK path. */
export const OPERATIONS = new Map<string, Operation>(
  (
    [
      chatCompletions,
      legacyCompletions,
      responsesCreate,
      responsesCompact,
      embeddings,
      imagesGenerate,
      imagesEdit,
      imagesVariation,
      speech,
      transcriptions,
      translations,
      videosCreate,
      videosRemix,
      videosEdit,
      videosExtend,
    ] as Operation[]
  ).map((operation) => [operation.path, operation]),
);

/** Free methods whose responses settle work billed later (background responses, videos). */
export const LATER_HOOKS = new Map<string, LaterHook>([responsesRetrieve, responsesCancel, videosRetrieve]);
