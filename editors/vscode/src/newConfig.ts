// "tunelint: New fine-tuning config…": the questions of `tunelint init` as quick picks and
// input boxes, answered into the command's flags. The CLI decides and writes (it never
// prompts off a terminal); the written config opens in an editor.
import { execFile } from "node:child_process";
import * as path from "node:path";
import * as vscode from "vscode";

/** The values each question accepts, as `tunelint init --choices` prints them. */
interface Choices {
  goal: string[];
  priority: string[];
  format: Record<string, string>;
  gpu: string[];
  model: string[];
}

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

const GOAL_TEXT: Record<string, string> = {
  "improve-existing": "Improve existing behaviour (steadier, more consistent output)",
  "new-capability": "Teach a new capability (change behaviour at the root)",
};
const PRIORITY_TEXT: Record<string, string> = {
  quality: "Quality (LoRA, the default)",
  "inference-speed": "Inference speed (IA3 adds no latency)",
  memory: "Memory (QLoRA)",
  time: "Training time",
  "prompt-strengthening": "Strengthening an existing prompt (prefix tuning)",
};
const OTHER = "Other…";

function run(argv: string[], args: string[], cwd: string | undefined): Promise<Outcome> {
  const [command, ...base] = argv;
  return new Promise((resolve) => {
    const child = execFile(command, [...base, ...args], { cwd, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr || (error ? error.message : "")) });
    });
    child.stdin?.end(); // not a terminal: the command asks nothing
  });
}

async function pick(title: string, items: { label: string; value: string }[]): Promise<string | undefined> {
  const chosen = await vscode.window.showQuickPick(items, { title, ignoreFocusOut: true });
  return chosen?.value;
}

async function pickOrType(title: string, values: string[], prompt: string): Promise<string | undefined> {
  const chosen = await pick(title, [...values.map((v) => ({ label: v, value: v })), { label: OTHER, value: OTHER }]);
  if (chosen !== OTHER) {
    return chosen;
  }
  return vscode.window.showInputBox({ title, prompt, ignoreFocusOut: true });
}

async function number(title: string, value: string, low: number): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title,
    value,
    ignoreFocusOut: true,
    validateInput: (text) => (Number(text) >= low ? undefined : `a number of at least ${low}`),
  });
}

/** Ask the questions; the `tunelint init` flags for the answers, or undefined when cancelled. */
export async function askInitFlags(choices: Choices): Promise<string[] | undefined> {
  const goal = await pick(
    "What is the fine-tuning for?",
    choices.goal.map((g) => ({ label: GOAL_TEXT[g] ?? g, value: g })),
  );
  if (goal === undefined) return undefined;
  const model = await pickOrType("Base model", choices.model, "Hub id or local folder");
  if (!model) return undefined;
  const gpu = await pickOrType("GPU", choices.gpu, "GPU name (e.g. RTX 4090)");
  if (!gpu) return undefined;
  const count = await number("How many GPUs?", "1", 1);
  if (count === undefined) return undefined;
  const days = await number("Days available for the project?", "30", 0.1);
  if (days === undefined) return undefined;
  const tasks = await number("How many tasks must one model serve?", "1", 1);
  if (tasks === undefined) return undefined;
  const priority = await pick(
    "What matters most?",
    choices.priority.map((p) => ({ label: PRIORITY_TEXT[p] ?? p, value: p })),
  );
  if (priority === undefined) return undefined;
  const data = await vscode.window.showInputBox({ title: "Training data file", value: "data/train.jsonl", ignoreFocusOut: true });
  if (data === undefined) return undefined;
  const format = await pick(
    "Config format",
    Object.entries(choices.format).map(([value, label]) => ({ label, value })),
  );
  if (format === undefined) return undefined;
  const output = await vscode.window.showInputBox({
    title: "Write the config to (empty: a name from the model and method)",
    value: "",
    ignoreFocusOut: true,
  });
  if (output === undefined) return undefined;
  const flags = [
    "--goal", goal, "--model", model.trim(), "--gpu", gpu.trim(), "--gpu-count", count,
    "--days", days, "--tasks", tasks, "--priority", priority, "--data", data, "--format", format,
  ];
  return output.trim() ? [...flags, "--output", output.trim()] : flags;
}

/** The whole command: choices from the CLI, the questions, the write, the new file opened. */
export async function newConfig(cli: string[], output: vscode.OutputChannel): Promise<void> {
  const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const listed = await run(cli, ["init", "--choices"], cwd);
  if (listed.code !== 0) {
    output.appendLine(`tunelint init --choices failed: ${listed.stderr}`);
    void vscode.window.showErrorMessage(`tunelint: cannot run ${cli.join(" ")} init (${listed.stderr.trim()})`);
    return;
  }
  const flags = await askInitFlags(JSON.parse(listed.stdout) as Choices);
  if (flags === undefined) return;
  output.appendLine(`tunelint: ${[...cli, "init", ...flags].join(" ")}`);
  const result = await run(cli, ["init", ...flags], cwd);
  output.appendLine(result.stdout + result.stderr);
  if (result.code !== 0) {
    void vscode.window.showErrorMessage(`tunelint init: ${result.stderr.trim()}`);
    return;
  }
  const written = result.stdout.split("\n").filter((line) => line.startsWith("wrote ")).map((line) => line.slice(6).trim());
  if (written.length > 0) {
    const file = path.resolve(cwd ?? process.cwd(), written[0]);
    await vscode.window.showTextDocument(vscode.Uri.file(file));
  }
  void vscode.window.showInformationMessage(`tunelint: wrote ${written.join(", ")}`);
}
