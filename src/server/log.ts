// One-line log records on stderr: `<ISO time> <LEVEL> [<component>] <message>`.
// Quiet by default in tests (VERIKEEPER_LOG=silent), verbose with =debug.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const order: Record<LogLevel | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

function threshold(): number {
  const env = (process.env.VERIKEEPER_LOG ?? 'info').toLowerCase();
  return env in order ? order[env as LogLevel] : order.info;
}

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  child(component: string): Logger;
}

export type LogSink = (line: string) => void;

const stderrSink: LogSink = (line) => {
  process.stderr.write(line + '\n');
};

export function createLogger(component: string, sink: LogSink = stderrSink, min = threshold()): Logger {
  const emit = (level: LogLevel, msg: string): void => {
    if (order[level] < min) return;
    sink(`${new Date().toISOString()} ${level.toUpperCase()} [${component}] ${msg}`);
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
    child: (c) => createLogger(`${component}/${c}`, sink, min),
  };
}

/** A logger that keeps its lines in memory, for tests that assert on them. */
export function memoryLogger(component = 'test'): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger(component, (l) => lines.push(l), order.debug);
  return Object.assign(logger, { lines });
}
