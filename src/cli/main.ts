#!/usr/bin/env -S node --max-semi-space-size=8
// verikeeper's command line: `start-foreground [zoo.cfg]` runs a server,
// `shell -server host:port` is the interactive client, `repair-log <dir>`
// moves a damaged transaction log tail aside.
//
// The launcher line caps V8's young generation at 8 MB semi-spaces (Node's
// default grows them to 16 MB): under writes every setData leaves a value
// that outlives a young collection, so a collection's pause grows with the
// young generation, and every request in flight waits for it. Smaller, more
// frequent collections measured faster with a lower p99 in every mix of
// bench/throughput.ts.

import path from 'node:path';
import { ConfigError, loadConfig } from '../server/config.js';
import { createLogger } from '../server/log.js';
import { MemberServer } from '../server/member-server.js';
import { ZkServer } from '../server/server.js';
import { StorageError } from '../server/storage/errors.js';
import { describeRepair, repairLog } from '../server/storage/repair.js';
import { serverFourLetterWord } from '../server/fourletter-context.js';
import { packageVersion } from '../server/version.js';


const USAGE = `usage: verikeeper <command> [args]
  start-foreground [--trace-dir DIR] [zoo.cfg]
                               run a server in the foreground (no argument: the embedded
                               default, standalone on 127.0.0.1:2181 with data under ./data);
                               an ensemble member writes its trace to DIR (as traceDir in zoo.cfg)
  shell -server host:port [cmd args...]
                               the interactive shell (ls, get, set, create, delete, deleteall, stat, quit, ...)
  repair-log <dir>             move the damaged tail of the transaction log in <dir> (the dataDir,
                               or the dataLogDir when it is set) aside, and name the zxids taken out
  version                      print the version`;

async function startForeground(args: string[]): Promise<number> {
  const log = createLogger('verikeeper');
  let traceDir: string | null = null;
  if (args[0] === '--trace-dir') {
    if (args[1] === undefined) {
      process.stderr.write(USAGE + '\n');
      return 2;
    }
    traceDir = path.resolve(args[1]);
    args = args.slice(2);
  }
  if (args.length > 1) {
    process.stderr.write(USAGE + '\n');
    return 2;
  }
  let server: ZkServer | MemberServer;
  try {
    const loaded = loadConfig(args[0], { logger: log.child('config') }).config;
    const config = traceDir !== null ? { ...loaded, traceDir } : loaded;
    const where = `data in ${config.dataDir}` + (config.dataLogDir !== config.dataDir ? `, log in ${config.dataLogDir}` : '');
    if (config.mode === 'standalone') {
      server = await ZkServer.start(config, { logger: log, fourLetterWord: serverFourLetterWord });
      const { host, port } = server.address();
      log.info(`started verikeeper ${packageVersion()} standalone on ${host}:${port}, ${where}, zxid 0x${server.db.lastZxid.toString(16)}`);
    } else {
      server = await MemberServer.start(config, { logger: log, fourLetterWord: serverFourLetterWord });
      const { host, port } = server.address();
      const me = config.servers.find((s) => s.id === config.myid)!;
      log.info(
        `started verikeeper ${packageVersion()} member ${config.myid} of ${config.servers.length} on ${host}:${port} ` +
          `(quorum port ${me.quorumPort}, election port ${me.electionPort}${me.type === 'observer' ? ', observer' : ''}), ${where}`,
      );
    }
  } catch (e) {
    if (e instanceof ConfigError || e instanceof StorageError) {
      log.error(e.message);
      return 1;
    }
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL') {
      // the client port, or a member's quorum or election port: the message names the address
      log.error(`cannot listen: ${err.message}`);
      return 1;
    }
    throw e;
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info(`stopping on ${signal}`);
      server.stop().then(
        () => {
          log.info('stopped');
          resolve(0);
        },
        (e: Error) => {
          log.error(`error while stopping: ${e.message}`);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    // The server stopped on its own (it logged why, in one line): a
    // supervisor must see a failure. Exit now rather than when the event
    // loop empties, which a stuck disk write could put off indefinitely.
    void server.halted.then(() => {
      if (stopping) return;
      stopping = true;
      process.exit(1);
    });
  });
}

async function repairLogCommand(args: string[]): Promise<number> {
  if (args.length !== 1) {
    process.stderr.write(USAGE + '\n');
    return 2;
  }
  const dir = args[0]!;
  try {
    process.stdout.write(describeRepair(dir, await repairLog(dir)));
    return 0;
  } catch (e) {
    if (e instanceof StorageError || (e as NodeJS.ErrnoException).code === 'ENOENT') {
      process.stderr.write(`repair-log: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  }
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'start-foreground':
      return startForeground(rest);
    case 'shell': {
      const { shellMain } = await import('./shell.js');
      return shellMain(rest);
    }
    case 'repair-log':
      return repairLogCommand(rest);
    case 'version':
    case '--version':
      process.stdout.write(packageVersion() + '\n');
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE + '\n');
      return cmd === undefined ? 2 : 0;
    default:
      process.stderr.write(`unknown command '${cmd}'\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`${new Date().toISOString()} ERROR [verikeeper] ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
