#!/usr/bin/env node
import { main } from "./main.js";

void main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
}).then((code) => {
  process.exitCode = code;
  // The command is done: a driver's timer (ioredis reconnecting to a store that is down) must not keep the
  // process alive. Output already written has been flushed by then.
  setTimeout(() => process.exit(code), 200).unref();
});
