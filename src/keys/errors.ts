/** The OS keychain cannot be used: no keychain library installed, no D-Bus session, a locked keyring… */
export class KeychainUnavailableError extends Error {
  override name = "KeychainUnavailableError";
  readonly code = "keychain_unavailable";

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const USE_ENV_INSTEAD =
  "Or pass the key explicitly or set it in an environment variable (OPENAI_API_KEY, ANTHROPIC_API_KEY, FAL_KEY).";

const LINUX_HINT =
  "On Linux the keychain is the Secret Service: it needs a D-Bus session bus and an unlocked keyring " +
  "(GNOME Keyring, KWallet, KeePassXC). On a headless machine install `gnome-keyring dbus-x11` and run your " +
  "command under `dbus-run-session` after unlocking a keyring with `gnome-keyring-daemon --unlock " +
  "--components=secrets` (it reads the keyring password on stdin).";

/** Neither `@napi-rs/keyring` nor `keytar` could be loaded. `reasons` are per library, e.g. "not installed". */
export function noKeychainLibrary(reasons: Readonly<Record<string, string>>): KeychainUnavailableError {
  const tried = Object.entries(reasons)
    .map(([name, reason]) => `${name}: ${reason}`)
    .join("; ");
  return new KeychainUnavailableError(
    `No OS keychain library could be loaded (${tried}). Install one with \`npm install @napi-rs/keyring\` ` +
      `(\`keytar\` also works but is archived). ${USE_ENV_INSTEAD}`,
  );
}

/**
 * A keychain operation failed. When the operation was handed a secret, the secret is cut out of the reason and
 * the original error is not kept as `cause` (a native error could quote its input).
 */
export function keychainFailure(
  backend: string,
  operation: string,
  error: unknown,
  secret?: string,
): KeychainUnavailableError {
  let reason = (error instanceof Error ? error.message : String(error)).replace(/\.+$/, "");
  if (secret !== undefined && secret !== "") reason = reason.split(secret).join("[redacted]");
  const hint = process.platform === "linux" ? ` ${LINUX_HINT}` : "";
  return new KeychainUnavailableError(
    `The OS keychain (${backend}) could not ${operation}: ${reason}.${hint} ${USE_ENV_INSTEAD}`,
    secret === undefined ? { cause: error } : undefined,
  );
}
