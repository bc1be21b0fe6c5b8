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
 * updates, stored objects (conversations, vector stores, assistants, threads and their messages, skills, the
 * files of containers), administration and sign-in, and batches (billed when they finish:
 * `session.settleBatch`). Every other POST without a meter is refused before it is sent, in particular the
 * ones that start billed work spendguard cannot price: fine-tuning jobs, grader runs, thread runs, evals
 * runs, containers, realtime sessions and client secrets, ChatKit sessions.
 */
const FREE: readonly RegExp[] = [
  /\/files$/,
  /\/uploads(\/[^/]+\/(parts|complete))?$/,
  /\/[^/]+\/cancel$/,
  /\/moderations$/,
  /\/responses\/input_tokens$/,
  /\/chat\/completions\/[^/]+$/,
  /\/batches$/,
  /\/conversations(\/[^/]+(\/items(\/[^/]+)?)?)?$/,
  /\/vector_stores(\/[^/]+(\/(files|file_batches)(\/[^/]+)?|\/search)?)?$/,
  /\/assistants(\/[^/]+)?$/,
  /\/threads(\/[^/]+(\/messages(\/[^/]+)?)?)?$/,
  /\/fine_tuning\/jobs\/[^/]+\/(pause|resume)$/,
  /\/fine_tuning\/checkpoints\/[^/]+\/permissions$/,
  /\/containers\/[^/]+\/files$/,
  /\/skills(\/[^/]+(\/versions(\/[^/]+)?)?)?$/,
  /\/organization\//,
  /\/roles(\/[^/]+)?$/,
  /\/fine_tuning\/alpha\/graders\/validate$/,
  /\/realtime\/calls\/[^/]+\/(hangup|refer|reject)$/,
  /\/evals\/[^/]+\/runs\/[^/]+$/,
  /\/threads\/[^/]+\/runs\/[^/]+$/,
  /\/oauth\/token$/,
  /\/evals(\/[^/]+)?$/,
];

export const OPENAI_DIALECT: WireDialect = {
  provider: "openai",
  operations: PAID,
  later: LATER,
  free: FREE,
  errorBody: (code, message) => ({ error: { message, type: code, code, param: null } }),
};
