// The tunelint extension: starts `tunelint server` on stdio and leaves the rest to it.
// The server decides which YAML/JSON documents are fine-tuning configs (native *.tune.yaml
// and tunelint.yaml, or a detected axolotl/LLaMA-Factory/TRL/DeepSpeed/accelerate/torchtune
// file); every other document gets nothing, so the selector can be all YAML and JSON.
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import {
  LanguageClient,
  type Executable,
  type LanguageClientOptions,
  RevealOutputChannelOn,
} from "vscode-languageclient/node";
import { newConfig } from "./newConfig";

const SECTION = "tunelint";
const DEFAULT_COMMAND = ["tunelint", "server"];
// Project settings files the server reads; a change re-lints the open documents.
const SETTINGS_FILES_GLOB = "**/{pyproject.toml,tunelint.toml}";

let client: LanguageClient | undefined;
let outputChannel: vscode.OutputChannel;
// Serializes start/stop so a restart during a restart does not leave two servers.
let pending: Promise<void> = Promise.resolve();

export function activate(context: vscode.ExtensionContext): Promise<void> {
  outputChannel = vscode.window.createOutputChannel("tunelint");
  context.subscriptions.push(
    outputChannel,
    vscode.commands.registerCommand("tunelint.restartServer", () => restart()),
    vscode.commands.registerCommand("tunelint.showOutput", () => outputChannel.show()),
    vscode.commands.registerCommand("tunelint.newConfig", () => newConfig(cliCommand(), outputChannel)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      // The server re-reads its own settings (workspace/configuration); only a new
      // command needs a new process.
      if (
        event.affectsConfiguration(`${SECTION}.server.command`) ||
        event.affectsConfiguration(`${SECTION}.server.python`)
      ) {
        void restart();
      }
    }),
  );
  return restart();
}

export function deactivate(): Promise<void> {
  return stop();
}

function restart(): Promise<void> {
  pending = pending.then(async () => {
    await stopClient();
    await startClient();
  });
  return pending;
}

function stop(): Promise<void> {
  pending = pending.then(stopClient);
  return pending;
}

async function stopClient(): Promise<void> {
  const running = client;
  client = undefined;
  if (running === undefined) {
    return;
  }
  try {
    await running.stop();
  } catch (error) {
    outputChannel.appendLine(`tunelint: stopping the server failed: ${String(error)}`);
  }
}

async function startClient(): Promise<void> {
  const server = serverExecutable();
  outputChannel.appendLine(`tunelint: starting ${[server.command, ...(server.args ?? [])].join(" ")}`);
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "yaml" },
      { scheme: "file", language: "json" },
      { scheme: "untitled", language: "yaml" },
      { scheme: "untitled", language: "json" },
    ],
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher(SETTINGS_FILES_GLOB),
    },
    // The server also asks for these (workspace/configuration); sending them up front spares
    // the first lint a pass with default settings.
    initializationOptions: { [SECTION]: serverSettings() },
    outputChannel,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
  };
  // The client id `tunelint` makes vscode-languageclient honour `tunelint.trace.server`.
  const next = new LanguageClient(SECTION, "tunelint", { run: server, debug: server }, clientOptions);
  try {
    await next.start();
    client = next;
  } catch (error) {
    outputChannel.appendLine(`tunelint: the server did not start: ${String(error)}`);
    void next.dispose().catch(() => undefined);
    const choice = await vscode.window.showErrorMessage(
      `tunelint: could not start the language server (${server.command}). ` +
        "Install tunelint (`pip install tunelint`) or set tunelint.server.python / tunelint.server.command.",
      "Open Settings",
      "Show Output",
    );
    if (choice === "Open Settings") {
      void vscode.commands.executeCommand("workbench.action.openSettings", "tunelint.server");
    } else if (choice === "Show Output") {
      outputChannel.show();
    }
  }
}

/** `<python> -m tunelint.cli server` when an interpreter is set, else the configured command. */
export function serverExecutable(): Executable {
  const config = vscode.workspace.getConfiguration(SECTION);
  const python = config.get<string>("server.python", "").trim();
  const configured = config.get<string[]>("server.command", DEFAULT_COMMAND);
  const argv = python
    ? [python, "-m", "tunelint.cli", "server"]
    : Array.isArray(configured) && configured.length > 0 && configured.every((a) => typeof a === "string")
      ? configured
      : DEFAULT_COMMAND;
  const [command, ...args] = argv.map(expand);
  const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  // No `transport` on purpose: with TransportKind.stdio the client would append `--stdio`,
  // which a custom command might not accept; stdio is what it uses either way.
  return { command, args, options: cwd ? { cwd } : {} };
}

/** The `tunelint` command line: the server command without its `server` verb. */
export function cliCommand(): string[] {
  const server = serverExecutable();
  const argv = [server.command, ...(server.args ?? [])];
  return argv[argv.length - 1] === "server" ? argv.slice(0, -1) : ["tunelint"];
}

function expand(value: string): string {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? "";
  let result = value.replace(/\$\{workspaceFolder\}/g, folder);
  if (result === "~" || result.startsWith("~/")) {
    result = path.join(os.homedir(), result.slice(1));
  }
  return result;
}

/** The settings the server reads (the section minus the client-only `server` and `trace`). */
function serverSettings(): Record<string, unknown> {
  const config = vscode.workspace.getConfiguration(SECTION);
  return {
    enable: config.get("enable"),
    gpu: config.get("gpu"),
    select: config.get("select"),
    ignore: config.get("ignore"),
    severity: config.get("severity"),
    debounceMs: config.get("debounceMs"),
  };
}
