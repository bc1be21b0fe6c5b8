import type { Anthropic, ClientOptions as AnthropicClientOptions } from "@anthropic-ai/sdk";
import type { OpenAI, ClientOptions as OpenAIClientOptions } from "openai";
import { InvalidRequestError, isSpendguardError, StoreUnavailableError } from "./errors.js";
import {
  type GuardPlan,
  type GuardRequest,
  type GuardSettle,
  guardFacts,
  guardPlan,
  rejectUnknownGuardKeys,
  runGuarded,
} from "./guard.js";
import { allowOrigin, placeholderFor } from "./intercept/vault.js";
import { apiKeyEnvVars } from "./keys/env.js";
import { keychainKey, keychainKeyNeeded } from "./keys/factory-key.js";
import type { Keychain } from "./keys/types.js";
import { type KeysOf, rejectUnknownKeys } from "./known-keys.js";
import { createCallLedger, newId, runCallback } from "./ledger/call-ledger.js";
import { notifyObservers } from "./ledger/observers.js";
import { loadSdk } from "./load-sdk.js";
import { MAX_NANO, type Nano, nanoToUsd, usdToNano } from "./money.js";
import {
  expected,
  type ResolvedOptions,
  rejectUnknownOptions,
  resolveOptions,
  SESSION_OPTION_KEYS,
  type SessionOptions,
  validateTier,
} from "./options.js";
import { periodKey, periodLabel } from "./periods.js";
import { createPriceCatalog } from "./pricing/catalog.js";
import { describePrice, type ModelPrice } from "./pricing/describe.js";
import { modelOverrides, snapshotDependencies } from "./pricing/snapshot/catalog-source.js";
import type { PriceCatalog } from "./pricing/types.js";
import { isAnthropicClient, wrapAnthropic } from "./providers/anthropic/client.js";
import { OPERATIONS as ANTHROPIC_OPERATIONS } from "./providers/anthropic/operations.js";
import { falUnitsFetch, isFalClient, wrapFal } from "./providers/fal/client.js";
import { falPlan } from "./providers/fal/plan.js";
import { createProviderMemory } from "./providers/memory.js";
import { type BatchLike, batchCharge } from "./providers/openai/batches.js";
import { isOpenAIClient, wrapOpenAI } from "./providers/openai/client.js";
import { OPERATIONS as OPENAI_OPERATIONS } from "./providers/openai/operations.js";
import type { Operation, PlanContext, ProviderMemory } from "./providers/types.js";
import type { GivenOptions, Refusable, Wrapped } from "./refusal-types.js";
import { emptyTallies, summarize, tally, utilization } from "./report/summary.js";
import { inheritRules } from "./rules/engine.js";
import { memoryStore } from "./stores/memory.js";
import type { Balance, BudgetStore, HistoryQuery, ScopeRef } from "./stores/types.js";
import type {
  BudgetSummary,
  CallRecord,
  CostEstimate,
  ProviderId,
  ServiceTier,
  WarningEvent,
} from "./types.js";

export interface WrapOptions {
  /** The service tier this client's calls are billed at (overrides the session's). */
  tier?: ServiceTier;
}

const WRAP_OPTION_KEYS = { tier: true } as const satisfies KeysOf<WrapOptions>;

export interface OpenAIFactoryOptions extends SessionOptions {
  /** Passed to `new OpenAI(...)`; otherwise the SDK reads `OPENAI_API_KEY`. */
  apiKey?: string;
  clientOptions?: OpenAIClientOptions;
  /**
   * The `OpenAI` class to construct. By default spendguard loads the `openai` package itself; pass your
   * import when you compare errors with `instanceof` against it (ESM and CJS builds are distinct classes).
   */
  OpenAI?: new (
    options?: OpenAIClientOptions,
  ) => OpenAI;
  /** Where to find the key when none is given or in the environment. @default the OS keychain */
  keychain?: Keychain;
}

export interface AnthropicFactoryOptions extends SessionOptions {
  /** Passed to `new Anthropic(...)`; otherwise the SDK reads `ANTHROPIC_API_KEY`. */
  apiKey?: string;
  clientOptions?: AnthropicClientOptions;
  /** The `Anthropic` class to construct (by default spendguard loads `@anthropic-ai/sdk` itself). */
  Anthropic?: new (
    options?: AnthropicClientOptions,
  ) => Anthropic;
  /** Where to find the key when none is given or in the environment. @default the OS keychain */
  keychain?: Keychain;
}

/** `createFalClient`'s config (the package does not export its type). */
export type FalClientConfig = Record<string, unknown> & { credentials?: unknown; fetch?: typeof fetch };

export interface FalFactoryOptions extends SessionOptions {
  /** fal credentials (`key` or `keyId:keySecret`); otherwise the client reads `FAL_KEY`. */
  credentials?: string;
  clientConfig?: FalClientConfig;
  /** `createFalClient` to call (by default spendguard loads `@fal-ai/client` itself); fal does not export its config type. */
  createFalClient?: (config: any) => object;
  /** Where to find the key when none is given or in the environment. @default the OS keychain */
  keychain?: Keychain;
}

const FACTORY_OPTION_KEYS = {
  openai: {
    ...SESSION_OPTION_KEYS,
    apiKey: true,
    clientOptions: true,
    OpenAI: true,
    keychain: true,
  } satisfies KeysOf<OpenAIFactoryOptions>,
  anthropic: {
    ...SESSION_OPTION_KEYS,
    apiKey: true,
    clientOptions: true,
    Anthropic: true,
    keychain: true,
  } satisfies KeysOf<AnthropicFactoryOptions>,
  fal: {
    ...SESSION_OPTION_KEYS,
    credentials: true,
    clientConfig: true,
    createFalClient: true,
    keychain: true,
  } satisfies KeysOf<FalFactoryOptions>,
} as const;

/** The metered methods of each provider, by SDK path (what `estimate` accepts). */
const OPERATIONS_BY_PROVIDER: Readonly<Record<string, ReadonlyMap<string, Operation>>> = {
  openai: OPENAI_OPERATIONS,
  anthropic: ANTHROPIC_OPERATIONS,
};

export interface EstimateRequest {
  /** The providers spendguard prices requests of (a `guard()` call names any provider). */
  provider: "openai" | "anthropic" | "fal";
  /**
   * An SDK method path: `chat.completions` (or `chat.completions.create`), `responses`, `images.generate`,
   * `messages`, ...; for fal, the endpoint id (`fal-ai/flux/dev`) with `params: { input }`.
   */
  operation: string;
  params: unknown;
  tier?: ServiceTier;
}

const ESTIMATE_REQUEST_KEYS = {
  provider: true,
  operation: true,
  params: true,
  tier: true,
} as const satisfies KeysOf<EstimateRequest>;

type Ledger = ReturnType<typeof createCallLedger>;

/** `session.child(options)`: a sub-budget; options not given are the parent's. */
export type ChildOptions = Omit<SessionOptions, "store" | "clock" | "pricing" | "unknownModel" | "id"> & {
  /** The child's name under its parent: its session id is `parent-id/name`. */
  id: string;
};

const {
  store: _store,
  clock: _clock,
  pricing: _pricing,
  unknownModel: _unknownModel,
  ...CHILD_KEYS
} = SESSION_OPTION_KEYS;
const CHILD_OPTION_KEYS = CHILD_KEYS satisfies KeysOf<ChildOptions>;

/** `session.readonly()`: what agent code may see and do without being able to change anything. */
export interface ReadonlySession {
  readonly id: string;
  getBudget(): number;
  getTotalSpent(): number;
  getReserved(): number;
  getRemainingBudget(): number;
  getSummary(): BudgetSummary;
  isPanicked(): boolean;
  history(query?: Omit<HistoryQuery, "sessionId">): Promise<CallRecord[]>;
  estimate(request: EstimateRequest): Promise<CostEstimate>;
  price(provider: string, model: string): Promise<ModelPrice>;
}

/**
 * A budget, and the facade over everything spendguard does: wrap clients, read balances, estimate, list
 * history. Every client wrapped by one session shares its budget.
 */
/** How many open root sessions use each store: the last one to close closes it. */
const openSessions = new WeakMap<BudgetStore, number>();

export class BudgetedSession<Given extends keyof SessionOptions = "budgetUsd"> {
  readonly id: string;
  readonly #options: ResolvedOptions;
  readonly #settings: SessionOptions;
  readonly #store: BudgetStore;
  /** Whether this session counts as a user of its store (a root session; children use their root's). */
  readonly #usesStore: boolean;
  readonly #catalog: PriceCatalog;
  readonly #clock: () => number;
  readonly #ledger: Ledger;
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #memory: ProviderMemory = createProviderMemory();
  readonly #settledBatches = new Set<string>();
  /** The latest balance the store returned for each account of this session and its ancestors. */
  readonly #latest = new Map<string, Balance>();
  /** Settles of this process sent to the store and not yet answered, per account key: what they change. */
  readonly #pending = new Map<string, { spent: Nano; held: Nano }>();
  #scopeRefs: readonly ScopeRef[] | undefined;
  readonly #parent: BudgetedSession<keyof SessionOptions> | undefined;
  /** Set by `child()` while it constructs the child: the parent whose store, catalog and clock it shares. */
  static #adopting: BudgetedSession<keyof SessionOptions> | undefined;
  #tallies = emptyTallies();
  #closed = false;
  #closedStoreUse = false;
  #readonlyView: ReadonlySession | undefined;

  /**
   * With `onBudgetExceeded` or `onBlocked`, the session's type records it: clients it wraps are typed so that
   * a refused call's `null` must be handled.
   */
  constructor(given: GivenOptions<SessionOptions, Given, "budgetUsd">) {
    const options = given as SessionOptions;
    const parent = BudgetedSession.#adopting;
    BudgetedSession.#adopting = undefined;
    this.#parent = parent;
    this.#options = resolveOptions(options, () => newId("session"));
    if (parent) {
      this.#options.rules = inheritRules(parent.#options.rules, this.#options.rules, options.rules);
    }
    this.#settings = options;
    this.id = this.#options.id;
    // A child shares its parent's store, clock and prices.
    const shared = parent
      ? { store: parent.#store, clock: parent.#clock, catalog: parent.#catalog }
      : undefined;
    this.#store =
      shared?.store ??
      options.store ??
      memoryStore(options.history?.limit !== undefined ? { historyLimit: options.history.limit } : {});
    this.#usesStore = !parent;
    if (this.#usesStore) openSessions.set(this.#store, (openSessions.get(this.#store) ?? 0) + 1);
    this.#clock = shared?.clock ?? options.clock ?? Date.now;
    this.#catalog =
      shared?.catalog ??
      createPriceCatalog(
        {
          ...(options.pricing !== undefined && { overrides: modelOverrides(options.pricing) }),
          ...(options.unknownModel !== undefined && { fallbackModel: options.unknownModel.fallbackModel }),
        },
        snapshotDependencies(options.pricing?.snapshot ?? process.env.SPENDGUARD_PRICES),
      );
    this.#ledger = createCallLedger({
      options: this.#options,
      callbacks: options,
      rules: () => this.#options.rules,
      ...(options.tags && { tags: { ...options.tags } }),
      includePrompts: this.#options.includePrompts,
      store: this.#store,
      catalog: this.#catalog,
      clock: this.#clock,
      scopes: (now) => this.#scopes(now),
      balances: (scopes, now) =>
        this.#store.readSync?.({ scopes, now }) ?? scopes.map((scope) => this.#latestOf(scope)),
      observe: (balances) => this.#observe(balances),
      settling: (scopes, held, actual) => this.#settling(scopes, held, actual),
      recorded: (record) => this.#tally(record),
      warn: (scopeId, threshold, balance) => this.#warn(scopeId, threshold, balance),
      isClosed: () => this.#closed,
      track: (promise) => this.#track(promise),
      ...(options.observers && { observers: [...options.observers] }),
    });
    // So that tools reading the store (the CLI, the dashboard) can list this budget; listing is not enforcement.
    this.#store
      .register([
        {
          id: this.id,
          ...(parent && { parentId: parent.id }),
          limit: usdToNano(this.#options.budgetUsd),
          ...(this.#options.period && { period: periodLabel(this.#options.period) }),
          thresholds: this.#options.warningThresholds,
          createdAt: this.#clock(),
        },
      ])
      .catch(() => undefined);
  }

  /**
   * A sub-budget: its calls must fit its own budget and every ancestor's, in one atomic step. Its id is
   * `parent-id/id` (the same in every process: a tenant or customer reopens its budget by it). It shares the
   * parent's store, prices and clock; rules it sets replace the parent's rule of the same name, the others are
   * inherited; other options default to the parent's.
   */
  child<ChildGiven extends keyof ChildOptions = "id">(
    given: GivenOptions<ChildOptions, ChildGiven, "id">,
  ): BudgetedSession<Given | Exclude<ChildGiven, "id">> {
    const options = given as ChildOptions;
    if (typeof options !== "object" || options === null) throw expected("options", "an object", options);
    rejectUnknownOptions(options, CHILD_OPTION_KEYS);
    const { id } = options;
    if (typeof id !== "string" || id.length === 0 || id.includes("/")) {
      throw expected("id", "a non-empty name without `/`", id);
    }
    const { rules: _inheritedRules, store: _store, clock: _clock, ...inherited } = this.#settings;
    BudgetedSession.#adopting = this;
    try {
      return new BudgetedSession({
        ...inherited,
        ...options,
        id: `${this.id}/${id}`,
      }) as BudgetedSession<keyof SessionOptions> as BudgetedSession<Given | Exclude<ChildGiven, "id">>;
    } finally {
      BudgetedSession.#adopting = undefined;
    }
  }

  /** A real OpenAI client, wrapped, with its own session at `client.session`. */
  static openai<K extends keyof OpenAIFactoryOptions = "budgetUsd">(
    given: GivenOptions<OpenAIFactoryOptions, K, "budgetUsd">,
  ): Wrapped<OpenAI, K> & { session: BudgetedSession<Extract<K, keyof SessionOptions>> } {
    const {
      apiKey,
      clientOptions,
      OpenAI: Given,
      keychain,
      ...sessionOptions
    } = (given ?? {}) as OpenAIFactoryOptions;
    rejectFactoryOptions(given, FACTORY_OPTION_KEYS.openai);
    const { session, client } = factoryClient(
      { sdk: "OpenAI", provider: "openai", packageName: "openai", caller: "BudgetedSession.openai()" },
      { apiKey, clientOptions, keychain, Given },
      () => new BudgetedSession(sessionOptions),
    );
    return session.#wrap(client, {}, true) as unknown as Wrapped<OpenAI, K> & {
      session: BudgetedSession<Extract<K, keyof SessionOptions>>;
    };
  }

  /** A real Anthropic client, wrapped, with its own session at `client.session`. */
  static anthropic<K extends keyof AnthropicFactoryOptions = "budgetUsd">(
    given: GivenOptions<AnthropicFactoryOptions, K, "budgetUsd">,
  ): Wrapped<Anthropic, K> & { session: BudgetedSession<Extract<K, keyof SessionOptions>> } {
    const {
      apiKey,
      clientOptions,
      Anthropic: Given,
      keychain,
      ...sessionOptions
    } = (given ?? {}) as AnthropicFactoryOptions;
    rejectFactoryOptions(given, FACTORY_OPTION_KEYS.anthropic);
    const { session, client } = factoryClient(
      {
        sdk: "Anthropic",
        provider: "anthropic",
        packageName: "@anthropic-ai/sdk",
        caller: "BudgetedSession.anthropic()",
      },
      { apiKey, clientOptions, keychain, Given },
      () => new BudgetedSession(sessionOptions),
    );
    return session.#wrap(client, {}, true) as unknown as Wrapped<Anthropic, K> & {
      session: BudgetedSession<Extract<K, keyof SessionOptions>>;
    };
  }

  /**
   * A fal client created by spendguard, wrapped, with its own session at `client.session`. Unlike a client
   * passed to `wrap()`, it settles from fal's billed units (`x-fal-billable-units`), not only from the output.
   */
  static fal<T extends object = object, K extends keyof FalFactoryOptions = keyof FalFactoryOptions>(
    options: GivenOptions<FalFactoryOptions, K, "budgetUsd"> & { createFalClient?: (config: any) => T },
  ): Wrapped<T, K> & { session: BudgetedSession<Extract<K, keyof SessionOptions>> } {
    const {
      credentials,
      clientConfig,
      createFalClient: given,
      keychain,
      ...sessionOptions
    } = (options ?? {}) as FalFactoryOptions;
    rejectFactoryOptions(options, FACTORY_OPTION_KEYS.fal);
    if (credentials !== undefined && typeof credentials !== "string")
      throw expected("credentials", "a string", "<hidden>");
    if (clientConfig !== undefined && (typeof clientConfig !== "object" || clientConfig === null)) {
      throw expected("clientConfig", "an object of fal client options", clientConfig);
    }
    const session = new BudgetedSession(sessionOptions);
    const create =
      given ??
      loadSdk<NonNullable<typeof given>>("@fal-ai/client", ["createFalClient"], "BudgetedSession.fal()");
    const billedUnits = new Map<string, number>();
    const inner = (clientConfig?.fetch as typeof fetch | undefined) ?? globalThis.fetch;
    // fal's credentials resolver is synchronous: a keychain key is fetched before the first paid call.
    const fromKeychain = keychainKeyNeeded("fal", credentials ?? clientConfig?.credentials)
      ? keychainKey("fal", keychain)
      : undefined;
    let keychainCredentials: string | undefined;
    const client = create({
      ...clientConfig,
      ...(credentials !== undefined && { credentials }),
      ...(fromKeychain && { credentials: () => keychainCredentials }),
      fetch: falUnitsFetch(inner, billedUnits),
    });
    return wrapFal(client, {
      ledger: session.#ledger,
      tier: session.#options.tier,
      session,
      billedUnits,
      ...(fromKeychain && {
        prepare: async () => {
          keychainCredentials ??= await fromKeychain();
        },
      }),
    }) as Wrapped<T, K> & { session: BudgetedSession<Extract<K, keyof SessionOptions>> };
  }

  /**
   * Meter an existing client in place and return it: every request it sends from now on (through its
   * methods, `request()`, helpers or `withOptions()` copies) is held and settled on this session's budget, and
   * its key moves into spendguard's transport (the client's credential fields hold a placeholder).
   */
  wrap<T extends object>(client: T, options: WrapOptions = {}): Wrapped<T, Given> {
    return this.#wrap(client, options, false) as Wrapped<T, Given>;
  }

  #wrap<T extends object>(client: T, options: WrapOptions, exposeSession: boolean): T {
    if (typeof client !== "object" || client === null)
      throw expected("client", "an SDK client object", client);
    if (typeof options !== "object" || options === null) throw expected("options", "an object", options);
    rejectUnknownKeys(options, WRAP_OPTION_KEYS);
    const tier = options.tier === undefined ? this.#options.tier : validateTier("tier", options.tier);
    const ledger = this.#ledger;
    const context = {
      ledger,
      catalog: this.#catalog,
      tier,
      memory: this.#memory,
      nullMode: this.#settings.onBudgetExceeded !== undefined || this.#settings.onBlocked !== undefined,
      nullOnRefusal: (error: unknown) => ledger.resolvesNullOnRefusal(error),
      ...(exposeSession && { session: this }),
    };
    if (isOpenAIClient(client)) return wrapOpenAI(client, context);
    if (isAnthropicClient(client)) {
      const countTokens = this.#settings.anthropic?.exactInputTokens ? exactCounter(client) : undefined;
      return wrapAnthropic(client, { ...context, ...(countTokens && { countTokens }) });
    }
    if (isFalClient(client)) return wrapFal(client, { ledger: this.#ledger, tier });
    throw new TypeError(
      "Expected an OpenAI client (`new OpenAI()` from `openai`), an Anthropic client (`new Anthropic()` from " +
        "`@anthropic-ai/sdk`) or a fal client (`createFalClient()` or `fal` from `@fal-ai/client`)",
    );
  }

  /** The budget in force (per period, with a period): the operator's override from the store when one is set. */
  getBudget(): number {
    return nanoToUsd(this.#balance().limit);
  }

  getTotalSpent(): number {
    return nanoToUsd(this.#balance().spent);
  }

  /** USD held by calls in flight. */
  getReserved(): number {
    return nanoToUsd(this.#balance().held);
  }

  /** Budget minus spent minus held; never negative. */
  getRemainingBudget(): number {
    const balance = this.#balance();
    return nanoToUsd(Math.max(0, balance.limit - balance.spent - balance.held));
  }

  getSummary(): BudgetSummary {
    return summarize(this.id, this.#balance(), this.#tallies);
  }

  /** Zero spent and re-arm warnings. Holds of calls in flight stay held and settle normally. */
  async reset(): Promise<void> {
    const now = this.#clock();
    const [scope] = this.#scopes();
    if (!scope) return;
    this.#observe([await this.#store.update({ scope, now, reset: true })]);
    this.#tallies = emptyTallies();
  }

  /**
   * The kill switch: while on, every paid call of this session (and, with a shared store, of every process
   * using this session id) is refused from its next call, before anything is sent.
   */
  async panic(on: boolean): Promise<void> {
    if (typeof on !== "boolean") throw expected("on", "true or false", on);
    await this.#setFlags({ panic: on });
  }

  /** Clears a lockout (`rules.lockoutAfter`). */
  async unlock(): Promise<void> {
    await this.#setFlags({ locked: false });
    this.#ledger.clearRefusals();
  }

  async #setFlags(flags: Record<string, boolean>): Promise<void> {
    const now = this.#clock();
    const [scope] = this.#scopes();
    if (!scope) return;
    try {
      this.#observe([await this.#store.update({ scope, now, flags })]);
    } catch (cause) {
      throw new StoreUnavailableError(this.#store.name, cause);
    }
  }

  /**
   * A view for agent code that must not change anything: the budget, what is left, the history, estimates and
   * prices. No method of it spends, resets, unlocks or turns panic off, and it holds no key.
   */
  readonly(): ReadonlySession {
    this.#readonlyView ??= Object.freeze({
      id: this.id,
      getBudget: () => this.getBudget(),
      getTotalSpent: () => this.getTotalSpent(),
      getReserved: () => this.getReserved(),
      getRemainingBudget: () => this.getRemainingBudget(),
      getSummary: () => this.getSummary(),
      isPanicked: () => this.#balance().flags.panic === true,
      history: (query?: Omit<HistoryQuery, "sessionId">) => this.history(query),
      estimate: (request: EstimateRequest) => this.estimate(request),
      price: (provider: string, model: string) => this.price(provider, model),
    });
    return this.#readonlyView;
  }

  /** What spendguard charges for a token model, in USD per million tokens, and where the price comes from. */
  async price(provider: string, model: string): Promise<ModelPrice> {
    if (typeof provider !== "string" || provider.length === 0)
      throw expected("provider", "a provider name", provider);
    if (typeof model !== "string" || model.length === 0) throw expected("model", "a model name", model);
    return describePrice(await this.#catalog.tokenPrice(provider, model, this.#options.tier));
  }

  /** Pull the latest balances from the store (for shared stores; the memory store is always exact). */
  async refresh(): Promise<void> {
    this.#observe(await this.#store.read({ scopes: this.#scopes(), now: this.#clock() }));
  }

  /** What a request would cost, without sending it: the worst case strict mode holds and the expected cost. */
  async estimate(request: EstimateRequest): Promise<CostEstimate> {
    if (typeof request !== "object" || request === null) throw expected("request", "an object", request);
    rejectUnknownKeys(request, ESTIMATE_REQUEST_KEYS);
    const name = String(request.operation);
    const tier = request.tier === undefined ? this.#options.tier : validateTier("tier", request.tier);
    // fal: the operation is the endpoint id, the params are what `subscribe` takes ({ input }).
    if (request.provider === "fal")
      return this.#ledger.estimate(falPlan("subscribe", name, request.params, tier));
    const operations = OPERATIONS_BY_PROVIDER[String(request.provider)];
    const operation = operations?.get(name) ?? operations?.get(`${name}.create`);
    if (!operation) {
      const known = Object.entries(OPERATIONS_BY_PROVIDER)
        .map(([provider, ops]) => `${provider}: ${[...ops.keys()].join(", ")}`)
        .join("; ");
      throw new InvalidRequestError(
        `Cannot estimate ${String(request.provider)} ${name}: supported are ${known}; fal: an endpoint id`,
      );
    }
    const plan = await operation.plan(request.params, {
      catalog: this.#catalog,
      tier,
      fromHelper: false,
      args: [],
      memory: this.#memory,
    });
    return this.#ledger.estimate(plan);
  }

  /**
   * Meter a call to an API spendguard does not wrap: hold `estimateUsd` (or the price of `usage`), run `fn`,
   * and settle what `fn` reports through `settle(actualUsd)` or `settle({ usage })`. Returning without settling
   * charges the hold; throwing without settling releases it. The same budget, history and callbacks apply; a
   * refused call never runs `fn` (it throws, or resolves `null` when `onBudgetExceeded` is set).
   */
  async guard<T>(
    request: GuardRequest,
    fn: (settle: GuardSettle) => T | Promise<T>,
  ): Promise<Refusable<T, Given>> {
    if (typeof fn !== "function") throw expected("fn", "a function", fn);
    rejectUnknownGuardKeys(request);
    const tier = request?.tier === undefined ? this.#options.tier : validateTier("tier", request.tier);
    const info = {
      provider: String(request?.provider ?? ""),
      operation: String(request?.operation ?? "guard"),
      model: String(request?.model ?? ""),
      stream: false,
      tier,
    };
    let planned: GuardPlan;
    try {
      if (typeof request === "object" && request !== null)
        await this.#ledger.screen(info, () => guardFacts(request));
      try {
        planned = await guardPlan(request, this.#catalog, tier);
      } catch (error) {
        if (isSpendguardError(error)) await this.#ledger.block(info, error);
        throw error;
      }
    } catch (error) {
      if (this.#ledger.resolvesNullOnRefusal(error)) return null as T;
      throw error;
    }
    return (await runGuarded(this.#ledger, planned, fn)) as T;
  }

  /**
   * Charge a finished OpenAI batch at the batch tier, from its `usage` (`batches.create` holds nothing: the
   * cost is only known once the batch ran). Recorded in full even over budget, flagged `unreserved`; a batch
   * already settled by this session is not charged again (returns undefined).
   */
  async settleBatch(batch: BatchLike, options: { model?: string } = {}): Promise<CallRecord | undefined> {
    const { plan, usage } = await batchCharge(batch, options.model, this.#catalog);
    if (this.#settledBatches.has(batch.id)) return undefined;
    this.#settledBatches.add(batch.id);
    try {
      return await this.#ledger.charge(plan, usage, batch.id);
    } catch (error) {
      this.#settledBatches.delete(batch.id);
      throw error;
    }
  }

  /** Attempts through this session (settled, blocked, failed), newest first. */
  async history(query: Omit<HistoryQuery, "sessionId"> = {}): Promise<CallRecord[]> {
    return this.#store.history({ ...query, sessionId: this.id });
  }

  /**
   * Refuse new calls, wait (up to `timeoutMs`) for calls in flight to settle and observers to flush, and close the store when this is
   * the last open session using it (the store closes only what it opened itself, so a client or database
   * passed to it stays open, and it opens again if used later). A call still open after that, such as a
   * stream nobody reads, keeps its hold, which settles at its full amount when its lease ends.
   */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#closed = true;
    const timeoutMs = options.timeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref?.();
    });
    const drained = (async () => {
      while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
      // Then what the calls' observers still send (alerts in flight).
      await Promise.allSettled((this.#settings.observers ?? []).map((observer) => observer.flush?.()));
    })();
    await Promise.race([drained, timeout]);
    clearTimeout(timer);
    if (!this.#usesStore || this.#closedStoreUse) return;
    this.#closedStoreUse = true;
    const left = (openSessions.get(this.#store) ?? 1) - 1;
    if (left > 0) openSessions.set(this.#store, left);
    else {
      openSessions.delete(this.#store);
      await this.#store.close?.();
    }
  }

  /** The accounts this session's calls are held on (budget periods and ancestors will extend this). */
  #scopes(now = this.#clock()): readonly ScopeRef[] {
    const key = periodKey(this.id, this.#options.period, now);
    const own = this.#scopeRefs?.[0];
    const ancestors = this.#parent ? this.#parent.#scopes(now) : [];
    // Stable arrays within a period: the ledger caches per-scope-list work by identity.
    if (
      own?.key !== key ||
      this.#scopeRefs?.length !== ancestors.length + 1 ||
      ancestors.some((scope, i) => this.#scopeRefs?.[i + 1] !== scope)
    ) {
      this.#scopeRefs = [
        {
          id: this.id,
          key,
          limit: usdToNano(this.#options.budgetUsd),
          thresholds: this.#options.warningThresholds,
        },
        ...ancestors,
      ];
    }
    return this.#scopeRefs as readonly ScopeRef[];
  }

  #balance(): Balance {
    const now = this.#clock();
    const scopes = this.#scopes(now);
    const [own] = scopes as [ScopeRef];
    return this.#store.readSync?.({ scopes: [own], now })[0] ?? this.#latestOf(own);
  }

  #latestOf(scope: ScopeRef): Balance {
    const latest = this.#latest.get(scope.key) ?? {
      key: scope.key,
      id: scope.id,
      limit: scope.limit,
      spent: 0,
      held: 0,
      flags: {},
    };
    const pending = this.#pending.get(scope.key);
    if (!pending) return latest;
    return {
      ...latest,
      spent: Math.min(latest.spent + pending.spent, MAX_NANO),
      held: Math.max(0, latest.held + pending.held),
    };
  }

  /** A settle on its way to the store: counted at once, forgotten once the store has answered (see the ledger). */
  #settling(scopes: readonly ScopeRef[], held: Nano, actual: Nano): () => void {
    const change = (sign: 1 | -1) => {
      for (const scope of scopes) {
        const entry = this.#pending.get(scope.key) ?? { spent: 0, held: 0 };
        entry.spent += sign * actual;
        entry.held -= sign * held;
        if (entry.spent === 0 && entry.held === 0) this.#pending.delete(scope.key);
        else this.#pending.set(scope.key, entry);
      }
    };
    change(1);
    const parent = this.#parent ? this.#parent.#settling(scopes, held, actual) : undefined;
    return () => {
      change(-1);
      parent?.();
    };
  }

  #observe(balances: readonly Balance[]): void {
    const scopes = this.#scopes();
    for (const balance of balances) {
      if (scopes.some((scope) => scope.key === balance.key)) this.#latest.set(balance.key, balance);
    }
    // Keep only the current period's accounts.
    if (this.#latest.size > scopes.length) {
      for (const key of this.#latest.keys())
        if (!scopes.some((scope) => scope.key === key)) this.#latest.delete(key);
    }
    if (this.#parent) this.#parent.#observe(balances);
  }

  #warn(scopeId: string, threshold: number, balance: Balance): void {
    if (scopeId !== this.id) {
      // An ancestor's threshold, crossed by this child's spend: the ancestor's session reports it.
      if (this.#parent) this.#parent.#warn(scopeId, threshold, balance);
      return;
    }
    const event: WarningEvent = {
      threshold,
      sessionId: this.id,
      spent: nanoToUsd(balance.spent),
      reserved: nanoToUsd(balance.held),
      remaining: nanoToUsd(Math.max(0, balance.limit - balance.spent - balance.held)),
      budget: nanoToUsd(balance.limit),
      utilizationPercent: utilization(balance),
      ...(balance.key !== this.id && { period: balance.key.slice(this.id.length + 1) }),
    };
    runCallback("onWarning", this.#settings.onWarning, event);
    const observers = this.#settings.observers;
    if (observers && observers.length > 0) notifyObservers(observers, "onWarning", event);
  }

  #track(promise: Promise<unknown>): void {
    this.#inflight.add(promise);
    void promise.finally(() => this.#inflight.delete(promise));
  }

  /** A call of this session counts in its ancestors' summaries too, as its cost counts in their `spent`. */
  #tally(record: CallRecord): void {
    tally(this.#tallies, record);
    if (this.#parent) this.#parent.#tally(record);
  }
}

/**
 * A one-line factory's client: its options with a placeholder for the key (checked before the session, as the
 * session's options are), the session, then the SDK's client, whose base URL the key may be sent to.
 */
function factoryClient<S>(
  sdk: { sdk: "OpenAI" | "Anthropic"; provider: string; packageName: string; caller: string },
  options: { apiKey: unknown; clientOptions: unknown; keychain: Keychain | undefined; Given: unknown },
  makeSession: () => S,
): { session: S; client: object } {
  const { clientArgs, placeholder } = factoryClientOptions(
    sdk.sdk,
    options.apiKey,
    options.clientOptions,
    sdk.provider,
    options.keychain,
  );
  const session = makeSession();
  type Constructor = new (args: Record<string, unknown>) => object;
  const Client =
    (options.Given as Constructor | undefined) ??
    loadSdk<Constructor>(sdk.packageName, [sdk.sdk, "default"], sdk.caller);
  const client = new Client(clientArgs);
  allowOrigin(placeholder, (client as { baseURL?: string }).baseURL);
  return { session, client };
}

/**
 * The SDK client's options, with a placeholder where the key goes (DESIGN 2.11, 3): the key itself (explicit,
 * else the SDK's environment variable, else the OS keychain, read lazily on the first request) stays in
 * spendguard's transport, so the client object never holds it.
 */
function factoryClientOptions(
  sdk: string,
  apiKey: unknown,
  clientOptions: unknown,
  provider: string,
  keychain: Keychain | undefined,
): { clientArgs: Record<string, unknown>; placeholder: string } {
  if (apiKey !== undefined && typeof apiKey !== "string") throw expected("apiKey", "a string", "<hidden>");
  if (clientOptions !== undefined && (typeof clientOptions !== "object" || clientOptions === null)) {
    throw expected("clientOptions", `an object of ${sdk} client options`, clientOptions);
  }
  const given = apiKey ?? (clientOptions as { apiKey?: unknown } | undefined)?.apiKey;
  const fromEnv = apiKeyEnvVars(provider)
    .map((name) => process.env[name]?.trim())
    .find((value) => value !== undefined && value !== "");
  const key: string | (() => Promise<string>) | undefined =
    typeof given === "string"
      ? given
      : given === undefined || given === null
        ? (fromEnv ?? (keychainKeyNeeded(provider, given) ? keychainKey(provider, keychain) : undefined))
        : undefined;
  if (key === undefined) {
    // A key function or another credential option of the SDK's: the SDK handles it, wrap() hides it.
    return { clientArgs: { ...(clientOptions as object | undefined) }, placeholder: "" };
  }
  const placeholder = placeholderFor(key, []);
  return { clientArgs: { ...(clientOptions as object | undefined), apiKey: placeholder }, placeholder };
}

function rejectFactoryOptions(options: unknown, known: Readonly<Record<string, true>>): void {
  if (typeof options === "object" && options !== null) rejectUnknownOptions(options, known);
}

/** Exact input tokens from the client's free `messages.countTokens` (called on the unwrapped client). */
function exactCounter(client: object): NonNullable<PlanContext["countTokens"]> {
  const messages = (
    client as { messages: { countTokens(params: object): Promise<{ input_tokens: number }> } }
  ).messages;
  return async (params) => (await messages.countTokens(params)).input_tokens;
}
