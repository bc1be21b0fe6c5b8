/**
 * How a refused call ends, in the types. Without `onBudgetExceeded` and `onBlocked` it rejects, so a wrapped
 * client keeps its exact type. With either, a refused call may resolve `null` (`onBudgetExceeded`: a budget
 * refusal; `onBlocked`: a rule refusal): every metered method of the wrapped client then returns
 * `Promise<Result | null>`, so `strict` TypeScript makes the caller handle the refusal.
 *
 * The session's type parameter is the set of option keys it was given (`"budgetUsd" | "onBudgetExceeded"`),
 * inferred from the options: an options object typed `SessionOptions` counts as having every callback.
 */
export type NullingCallbacks = "onBudgetExceeded" | "onBlocked";

/** The options given: the keys `Given` of `Options`, each with its type, plus the required ones. */
export type GivenOptions<Options, Given extends keyof Options, Required extends keyof Options> = Pick<
  Options,
  Given
> &
  Pick<Options, Required>;

/** The metered methods of the clients spendguard wraps, by SDK path (checked against the runtime list by a test). */
export interface MeteredMethods {
  chat: { completions: { create: true } };
  completions: { create: true };
  responses: { create: true; compact: true };
  embeddings: { create: true };
  images: { generate: true; edit: true; createVariation: true };
  audio: { speech: { create: true }; transcriptions: { create: true }; translations: { create: true } };
  videos: { create: true; remix: true; edit: true; extend: true };
  messages: { create: true; batches: { create: true } };
  beta: { messages: { create: true } };
  // fal
  run: true;
  subscribe: true;
  stream: true;
  queue: { submit: true };
}

/** `Client` as a session given the option keys `Given` wraps it. */
export type Wrapped<Client, Given extends PropertyKey> = [Extract<Given, NullingCallbacks>] extends [never]
  ? Client
  : NullOnRefusal<Client>;

/** `Result`, or `null` when the session resolves refused calls to `null`. */
export type Refusable<Result, Given extends PropertyKey> = [Extract<Given, NullingCallbacks>] extends [never]
  ? Result
  : Result | null;

/** A client whose metered methods resolve `null` when refused. An untyped (`any`) client stays `any`. */
export type NullOnRefusal<Client> = 0 extends 1 & Client ? Client : Rewrite<Client, MeteredMethods>;

type Rewrite<T, Tree> = {
  [K in keyof T]: K extends keyof Tree
    ? Tree[K] extends true
      ? NullableResult<T[K]>
      : Rewrite<T[K], Tree[K]>
    : T[K];
};

/**
 * The method's promise, resolving `null` too. The SDK's extras on it stay (OpenAI's and Anthropic's
 * `APIPromise`: `withResponse()` then gives `data: null` with the refusal's response).
 */
type Nullable<R> = Promise<Awaited<R> | null> &
  Omit<R, "then" | "catch" | "finally" | "withResponse"> &
  (R extends { withResponse(): PromiseLike<infer W> }
    ? { withResponse(): Promise<{ [K in keyof W]: K extends "data" ? W[K] | null : W[K] }> }
    : unknown);

/** The same function (up to four overloads kept, as the SDKs' `create` has three), resolving `null` too. */
type NullableResult<F> = F extends {
  (...args: infer A1): infer R1;
  (...args: infer A2): infer R2;
  (...args: infer A3): infer R3;
  (...args: infer A4): infer R4;
}
  ? ((...args: A1) => Nullable<R1>) &
      ((...args: A2) => Nullable<R2>) &
      ((...args: A3) => Nullable<R3>) &
      ((...args: A4) => Nullable<R4>)
  : F;
