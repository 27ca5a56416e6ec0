// Smoke test of the compiled extension without VS Code: `vscode` is replaced by a permissive
// stand-in (settings from TUNELINT_SMOKE_SETTINGS, output channels to stdout), the
// extension is activated, talks to the real server for a moment, and is deactivated.
// It shows that out/extension.js loads with its shipped dependencies, starts the configured
// command, completes `initialize`, and answers the server's workspace/configuration request.
//
//   TUNELINT_SMOKE_SETTINGS='{"tunelint.server.python": ".venv/bin/python"}' \
//     node scripts/smoke.js [extension folder, default: ..]
"use strict";
const Module = require("node:module");
const path = require("node:path");

const extensionDir = path.resolve(process.argv[2] || path.join(__dirname, ".."));
const settings = JSON.parse(process.env.TUNELINT_SMOKE_SETTINGS || "{}");
const linger = Number(process.env.TUNELINT_SMOKE_LINGER_MS || "1500");

/** VS Code's `getConfiguration(section).get(key)` over a flat map of dotted keys. */
function configuration(section) {
  const prefix = section ? `${section}.` : "";
  return {
    get(key, fallback) {
      const full = prefix + key;
      if (Object.prototype.hasOwnProperty.call(settings, full)) return settings[full];
      const nested = {};
      let found = false;
      for (const [name, value] of Object.entries(settings)) {
        if (!name.startsWith(`${full}.`)) continue;
        found = true;
        const parts = name.slice(full.length + 1).split(".");
        let node = nested;
        for (const part of parts.slice(0, -1)) node = node[part] ??= {};
        node[parts[parts.length - 1]] = value;
      }
      return found ? nested : fallback;
    },
    has: (key) => configuration(section).get(key) !== undefined,
    inspect: () => undefined,
    update: async () => undefined,
  };
}

/** Any other API: a callable, constructible object whose every property is another one. */
function anything(name) {
  return new Proxy(function () {}, {
    get(_target, prop) {
      if (prop === "then") return undefined; // not a promise
      if (prop === Symbol.iterator) return function* () {};
      if (prop === Symbol.toPrimitive) return () => name;
      if (prop === "dispose") return () => undefined;
      return anything(`${name}.${String(prop)}`);
    },
    apply: () => anything(`${name}()`),
    construct: () => anything(`new ${name}`),
  });
}

function channel(name) {
  return {
    name,
    append: (text) => process.stdout.write(text),
    appendLine: (line) => console.log(`[${name}] ${line}`),
    replace: () => undefined,
    clear: () => undefined,
    show: () => undefined,
    hide: () => undefined,
    dispose: () => undefined,
  };
}

function override(target, overrides) {
  return new Proxy({}, { get: (_t, prop) => (prop in overrides ? overrides[prop] : target[prop]) });
}

// TUNELINT_SMOKE_NEW_CONFIG: the answers (in order) to "tunelint: New fine-tuning config…",
// which then runs after activation; TUNELINT_SMOKE_FOLDER: the workspace folder.
const answers = JSON.parse(process.env.TUNELINT_SMOKE_NEW_CONFIG || "null");
const folder = process.env.TUNELINT_SMOKE_FOLDER;
const commands = new Map();

function answer(kind, title) {
  const value = answers && answers.length ? answers.shift() : undefined;
  console.log(`[${kind}] ${title}: ${value}`);
  return value;
}

const base = anything("vscode");
const vscode = override(base, {
  Uri: { file: (fsPath) => ({ scheme: "file", fsPath }) },
  commands: override(base.commands, {
    registerCommand: (name, callback) => {
      commands.set(name, callback);
      return { dispose: () => commands.delete(name) };
    },
    executeCommand: async (name, ...args) => (commands.has(name) ? commands.get(name)(...args) : undefined),
  }),
  version: "1.82.0",
  env: { appName: "tunelint-smoke", language: "en", machineId: "smoke", sessionId: "smoke", uiKind: 1 },
  workspace: override(base.workspace, {
    getConfiguration: (section) => configuration(section),
    workspaceFolders: folder ? [{ uri: { scheme: "file", fsPath: folder }, name: "smoke", index: 0 }] : undefined,
    textDocuments: [],
  }),
  window: override(base.window, {
    createOutputChannel: channel,
    showErrorMessage: async (message) => {
      console.log(`[error message] ${message}`);
      return undefined;
    },
    showInformationMessage: async (message) => {
      console.log(`[info message] ${message}`);
      return undefined;
    },
    showQuickPick: async (items, options) => {
      const value = answer("quick pick", options.title);
      const chosen = items.find((item) => item.value === value);
      if (value !== undefined && chosen === undefined) console.log(`[quick pick] no item ${value}`);
      return chosen;
    },
    showInputBox: async (options) => {
      const value = answer("input box", options.title);
      const invalid = value !== undefined && options.validateInput ? options.validateInput(value) : undefined;
      if (invalid) console.log(`[input box] rejected: ${invalid}`);
      return value;
    },
    showTextDocument: async (uri) => {
      console.log(`[open] ${uri.fsPath}`);
      return undefined;
    },
  }),
});

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === "vscode" ? "vscode" : resolve.call(this, request, ...rest);
};
require.cache.vscode = { id: "vscode", filename: "vscode", loaded: true, exports: vscode };

const extension = require(path.join(extensionDir, "out", "extension.js"));
const context = { subscriptions: [] };
extension
  .activate(context)
  .then(() => (answers ? vscode.commands.executeCommand("tunelint.newConfig") : undefined))
  .then(() => new Promise((done) => setTimeout(done, linger)))
  .then(() => extension.deactivate())
  .then(
    () => {
      console.log("[smoke] done");
      process.exit(0);
    },
    (error) => {
      console.log(`[smoke] failed: ${error && error.stack ? error.stack : error}`);
      process.exit(1);
    },
  );
