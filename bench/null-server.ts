// A "null server" for measuring the load generator itself: it speaks just
// enough of the client protocol to answer every request at once — a session
// for every handshake, a canned value and Stat for getData, a Stat for
// setData, an empty reply for anything else — without storing anything. The
// throughput the generator reaches against it is the generator's ceiling on
// this machine: a server measured well below it is measured, not the
// generator.
//
//   node dist/bench/null-server.js [--port 0] [--value 1024]
//
// Prints `listening <port>` on stdout once it accepts connections.

import net from 'node:net';
import { parseArgs } from 'node:util';
import { FrameDecoder } from '../src/wire/frame.js';
import { JuteReader, JuteWriter } from '../src/wire/jute.js';
import { OpCode, type Stat } from '../src/wire/protocol.js';
import { decodeConnectRequest, encodeConnectResponse, writeStat } from '../src/wire/records.js';
import { benchValue } from './lib/keyspace.js';

function encoded(write: (w: JuteWriter) => void): Uint8Array {
  const w = new JuteWriter();
  write(w);
  return Buffer.from(w.finish());
}

export function startNullServer(port: number, valueSize: number): Promise<net.Server> {
  const stat: Stat = {
    czxid: 2,
    mzxid: 2,
    ctime: Date.now(),
    mtime: Date.now(),
    version: 0,
    cversion: 0,
    aversion: 0,
    ephemeralOwner: 0n,
    dataLength: valueSize,
    numChildren: 0,
    pzxid: 2,
  };
  const value = benchValue(valueSize);
  const getDataBody = encoded((w) => {
    w.writeBuffer(value);
    writeStat(w, stat);
  });
  const statBody = encoded((w) => writeStat(w, stat));
  const empty = new Uint8Array(0);
  let nextSession = 1n;

  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    const decoder = new FrameDecoder();
    const out = new JuteWriter(256 * 1024);
    let connected = false;
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      let frames: Uint8Array[];
      try {
        frames = decoder.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const f of frames) {
        if (!connected) {
          const req = decodeConnectRequest(new JuteReader(f));
          connected = true;
          const resp = { protocolVersion: 0, timeOut: req.timeOut, sessionId: nextSession++, passwd: new Uint8Array(16) };
          out.writeRaw(encodeConnectResponse(req.readOnly !== undefined ? { ...resp, readOnly: false } : resp));
          continue;
        }
        const xid = (f[0]! << 24) | (f[1]! << 16) | (f[2]! << 8) | f[3]!;
        const type = (f[4]! << 24) | (f[5]! << 16) | (f[6]! << 8) | f[7]!;
        const body = type === OpCode.getData ? getDataBody : type === OpCode.setData ? statBody : empty;
        out.writeInt(16 + body.length);
        out.writeInt(xid);
        out.writeLong(2);
        out.writeInt(0);
        out.writeRaw(body);
      }
      if (out.length > 0) socket.write(out.finish());
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1' }, () => resolve(server));
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { port: { type: 'string', default: '0' }, value: { type: 'string', default: '1024' } },
  });
  const server = await startNullServer(Number(values.port), Number(values.value));
  const a = server.address() as net.AddressInfo;
  process.stdout.write(`listening ${a.port}\n`);
  const stop = (): void => {
    server.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`null-server: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
