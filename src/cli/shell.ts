// `verikeeper shell -server host:port [-timeout ms] [-r] [cmd args…]`: a
// zkCli-compatible shell. With a command it runs that command and exits with
// its status; without one it reads commands from stdin — interactively, with
// a zkCli prompt, when stdin is a terminal, else line by line — and exits
// with the status of the last command.
//
// Watch events print as zkCli prints them (WATCHER:: and the WatchedEvent).
// Interactive sessions also show the connection events and "Connecting to";
// non-interactive runs print only what their commands print and the events
// that arrive after connecting, so that their output can be used by scripts.
// At the end of input, as on `quit`, the session is closed.

import { createInterface, type Interface } from 'node:readline';
import { ZkClient, type WatchedEvent } from '../client/client.js';
import { ZkError } from '../client/errors.js';
import { runCommand, runLine, usage, type ShellContext } from './shell-commands.js';
import { formatEvent } from './shell-format.js';

export interface ShellIO {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Whether stdin is a terminal (interactive mode). */
  isTTY: boolean;
  /** Time zone for printed dates (default: the local one). */
  timeZone?: string;
}

interface ShellArgs {
  server: string;
  timeout: number;
  readOnly: boolean;
  command: string[];
}

function parseArgs(args: string[]): ShellArgs | string {
  const out: ShellArgs = { server: 'localhost:2181', timeout: 30000, readOnly: false, command: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new Error(`Error: no argument found for option ${a}`);
      return v;
    };
    try {
      if (a === '-server') out.server = value();
      else if (a === '-timeout') {
        const t = value();
        if (!/^\d+$/.test(t)) return `Error: -timeout needs a number of milliseconds, not ${t}`;
        out.timeout = Number(t);
      } else if (a === '-r') out.readOnly = true;
      else if (a === '-client-configuration') value();
      else if (!a.startsWith('-')) {
        out.command = args.slice(i);
        break;
      }
    } catch (e) {
      return (e as Error).message;
    }
  }
  return out;
}

function processIO(): ShellIO {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY: process.stdin.isTTY === true,
  };
}

function describeFailure(e: unknown): string {
  const cause = (e as { cause?: unknown }).cause;
  if (cause instanceof Error) return cause.message;
  return e instanceof Error ? e.message : String(e);
}

/** Runs the shell; resolves with the process exit status. */
export async function shellMain(args: string[], io: ShellIO = processIO()): Promise<number> {
  if (args.includes('-help') || args.includes('--help') || args.includes('-h')) {
    io.stdout.write(usage());
    return 0;
  }
  const parsed = parseArgs(args);
  if (typeof parsed === 'string') {
    io.stderr.write(parsed + '\n' + usage());
    return 2;
  }
  const interactive = parsed.command.length === 0 && io.isTTY;
  let rl: Interface | null = null;
  let busy = false;
  let quitting = false;

  const printEvent = (e: WatchedEvent): void => {
    if (!ctx.printWatches) return;
    io.stdout.write(`\nWATCHER::\n\n${formatEvent(e)}\n`);
    if (rl !== null && !busy) rl.prompt(true);
  };
  let showEvents = interactive;
  const watcher = (e: WatchedEvent): void => {
    if (showEvents) printEvent(e);
  };

  const ctx: ShellContext = {
    client: null,
    host: parsed.server,
    printWatches: true,
    history: [],
    out: (t) => io.stdout.write(t),
    err: (t) => io.stderr.write(t),
    quit: () => {
      quitting = true;
    },
    connect: async (host: string) => {
      const old = ctx.client;
      ctx.client = null;
      if (old !== null) await old.close().catch(() => undefined);
      ctx.host = host;
      try {
        ctx.client = await ZkClient.connect({
          connectString: host,
          sessionTimeout: parsed.timeout,
          canBeReadOnly: parsed.readOnly,
          watcher,
        });
      } catch (e) {
        throw new Error(`Unable to connect to ${host}: ${describeFailure(e)}`, { cause: e });
      }
    },
  };
  if (io.timeZone !== undefined) ctx.timeZone = io.timeZone;

  if (interactive) io.stdout.write(`Connecting to ${parsed.server}\n`);
  try {
    await ctx.connect(parsed.server);
  } catch (e) {
    io.stderr.write((e as Error).message + '\n');
    return 1;
  }
  showEvents = true;

  let status = 0;
  try {
    if (parsed.command.length > 0) {
      status = await runCommand(ctx, parsed.command);
    } else if (interactive) {
      io.stdout.write('Welcome to verikeeper!\n');
      rl = createInterface({ input: io.stdin, output: io.stdout, terminal: true, historySize: 1000 });
      const prompt = (): string =>
        `[zk: ${ctx.host}(${ctx.client?.state ?? 'CLOSED'}) ${ctx.history.length}] `;
      rl.on('SIGINT', () => rl!.close());
      rl.setPrompt(prompt());
      rl.prompt();
      for await (const line of rl) {
        busy = true;
        const s = await runLine(ctx, line);
        if (line.trim() !== '' && !(quitting && line.trim() === 'quit')) status = s;
        busy = false;
        if (quitting) break;
        rl.setPrompt(prompt());
        rl.prompt();
      }
    } else {
      const lines = createInterface({ input: io.stdin, crlfDelay: Infinity });
      for await (const line of lines) {
        const s = await runLine(ctx, line);
        if (line.trim() !== '' && !(quitting && line.trim() === 'quit')) status = s;
        if (quitting) break;
      }
      lines.close();
    }
  } finally {
    rl?.close();
    showEvents = false;
    if (ctx.client !== null) {
      await ctx.client.close().catch((e: unknown) => {
        if (!(e instanceof ZkError)) throw e;
      });
    }
  }
  return status;
}
