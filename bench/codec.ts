// Micro-benchmark of the jute codec on the server's hot path: decoding
// requests and encoding replies, plus the client side's mirror image.
// Run: npx tsc -p tsconfig.json && node dist/bench/codec.js

import { FrameDecoder } from '../src/wire/frame.js';
import { JuteReader, JuteWriter } from '../src/wire/jute.js';
import { OpCode, type Response, type Stat } from '../src/wire/protocol.js';
import { decodeRequestFrame, encodeRequest, writeRequestFrame } from '../src/wire/requests.js';
import { decodeReply, encodeReply, writeReplyFrame } from '../src/wire/responses.js';

const stat: Stat = {
  czxid: 0x100000002,
  mzxid: 0x100000f03,
  ctime: 1700000000000,
  mtime: 1700000000123,
  version: 12,
  cversion: 0,
  aversion: 0,
  ephemeralOwner: 0n,
  dataLength: 1024,
  numChildren: 0,
  pzxid: 0x100000002,
};
const data1k = new Uint8Array(1024).fill(0x61);
const getDataResponse: Response = { kind: 'data', data: data1k, stat };
const path = '/bench/node-0000012345';

/** Times `n` calls of `fn`, each handling `per` items; prints items per second. */
function measure(name: string, n: number, fn: (i: number) => unknown, per = 1): void {
  for (let i = 0; i < Math.min(n, 20000); i++) fn(i); // warm-up
  let sink: unknown;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink = fn(i);
  const ns = Number(process.hrtime.bigint() - t0);
  if (sink === Symbol.for('never')) console.log(sink);
  const items = n * per;
  const perSec = (items / ns) * 1e9;
  console.log(`${name.padEnd(58)} ${(perSec / 1e6).toFixed(2).padStart(6)} M/s ${(ns / items).toFixed(0).padStart(6)} ns each`);
}

/** Frames arrive as Buffers (views of socket chunks); give the decoders the same. */
const asReceived = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset + 4, b.length - 4);

const N = 1_000_000;
const w = new JuteWriter();

measure('encode GetDataResponse (1 KB) reply frame', N, (i) =>
  encodeReply({ xid: i, zxid: 0x100000f03, err: 0 }, getDataResponse, w),
);
const replyFrame = asReceived(encodeReply({ xid: 1, zxid: 0x100000f03, err: 0 }, getDataResponse));
measure('decode GetDataResponse (1 KB) reply', N, () => decodeReply(OpCode.getData, new JuteReader(replyFrame)));

const getDataReq = { type: OpCode.getData, path, watch: false } as const;
measure('encode getData request frame', N, (i) => encodeRequest({ xid: i, type: OpCode.getData }, getDataReq, w));
const reqFrame = asReceived(encodeRequest({ xid: 1, type: OpCode.getData }, getDataReq));
measure('decode getData request', N, () => decodeRequestFrame(new JuteReader(reqFrame)));

const setDataReq = { type: OpCode.setData, path, data: data1k, version: -1 } as const;
const setFrame = asReceived(encodeRequest({ xid: 1, type: OpCode.setData }, setDataReq));
measure('decode setData request (1 KB)', N, () => decodeRequestFrame(new JuteReader(setFrame)));
measure('encode setData response (Stat) reply frame', N, (i) =>
  encodeReply({ xid: i, zxid: 0x100000f03, err: 0 }, { kind: 'stat', stat }, w),
);

// 64 getData requests per chunk through the frame decoder, then decoded.
const batchWriter = new JuteWriter(1 << 20);
for (let i = 0; i < 64; i++) writeRequestFrame(batchWriter, { xid: i, type: OpCode.getData }, getDataReq);
const batch = batchWriter.finish();
const chunk = Buffer.from(batch.buffer, batch.byteOffset, batch.length);
const fd = new FrameDecoder();
measure(
  'frame split + decode of getData requests, 64 per chunk',
  N / 64,
  () => {
    for (const f of fd.push(chunk)) decodeRequestFrame(new JuteReader(f));
  },
  64,
);
const replies = new JuteWriter(1 << 20);
measure(
  'batch-encode GetDataResponse (1 KB) frames, 64 per write',
  N / 64,
  (i) => {
    for (let k = 0; k < 64; k++) writeReplyFrame(replies, { xid: i + k, zxid: 5, err: 0 }, getDataResponse);
    return replies.finish();
  },
  64,
);
