import type { WireDialect } from "../../intercept/wire.js";
import type { LaterHook, Operation } from "../types.js";
import { speech, transcriptions, translations } from "./audio.js";
import { chatCompletions } from "./chat.js";
import { legacyCompletions } from "./completions.js";
import { embeddings } from "./embeddings.js";
import { imagesEdit, imagesGenerate, imagesVariation } from "./images.js";
import { responsesCancel, responsesCompact, responsesCreate, responsesRetrieve } from "./responses.js";
import { videosCreate, videosEdit, videosExtend, videosRemix, videosRetrieve } from "./videos.js";

const PAID: readonly Operation[] = [
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
];

/** Every metered operation of the OpenAI API, by its SDK method path. */
export const OPERATIONS = new Map<string, Operation>(PAID.map((operation) => [operation.path, operation]));

const LATER: readonly LaterHook[] = [responsesRetrieve, responsesCancel, videosRetrieve];

/**
 * POSTs that are never billed per request: uploads, moderation, token counting, cancellation, metadata
 * updates, stored objects (conversations, vector stores, assistants and threads, but not their runs), and
 * batches (billed when they finish: `session.settleBatch`). Every other POST without a meter is refused:
 * fine-tuning jobs, realtime sessions, thread runs, evals runs, containers.
 */
const FREE: readonly RegExp[] = [
  /\/files$/,
  /\/uploads(\/[^/]+\/(parts|complete|cancel))?$/,
  /\/moderations$/,
  /\/responses\/input_tokens$/,
  /\/chat\/completions\/[^/]+$/,
  /\/batches(\/[^/]+\/cancel)?$/,
  /\/conversations(\/[^/]+(\/items(\/[^/]+)?)?)?$/,
  /\/vector_stores(\/[^/]+(\/(files|file_batches)(\/[^/]+(\/cancel)?)?|\/search)?)?$/,
  /\/assistants(\/[^/]+)?$/,
  /\/threads(\/[^/]+(\/messages(\/[^/]+)?)?)?$/,
  /\/fine_tuning\/jobs\/[^/]+\/(cancel|pause|resume)$/,
  /\/organization\//,
];

export const OPENAI_DIALECT: WireDialect = {
  provider: "openai",
  operations: PAID,
  later: LATER,
  free: FREE,
  errorBody: (code, message) => ({ error: { message, type: code, code, param: null } }),
};
