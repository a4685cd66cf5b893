// Preloaded into the server by the memory benchmark:
//
//   node --expose-gc --import <this module> dist/src/cli/main.js start-foreground zoo.cfg
//
// On SIGUSR2 it runs full garbage collections and prints the process's memory
// usage as one line on stderr, `memory-usage {json of process.memoryUsage()}`,
// so that the heap a server holds can be read without changing the server.

const gc = (globalThis as { gc?: () => void }).gc;

process.on('SIGUSR2', () => {
  if (gc) {
    gc();
    gc();
  }
  process.stderr.write(`memory-usage ${JSON.stringify({ ...process.memoryUsage(), gc: gc !== undefined })}\n`);
});
