// make fuzz: a long campaign (FUZZ_RUNS payloads, default 10^6).
import { bytesToHex, encodeFmap } from '../uapi/fmap_codec';
import { fuzzPayload, fuzzImage, Progress } from './fuzzlib';

const bases = [
  encodeFmap({ file_size: '0x500000', extents: [{ se_offset: '0x200000', se_len: '0x400000' }, { se_offset: '0x1000000', se_len: '0x200000' }] }),
  encodeFmap({ ext_type: 'interleave', file_size: '0xc00000', iexts: [{ ie_chunk_size: '0x200000', ie_nbytes: '0x800000', strips: [{ se_offset: '0x200000', se_len: '0x400000' }, { se_offset: '0x800000', se_len: '0x400000' }] }, { ie_chunk_size: '0x200000', ie_nbytes: '0x400000', strips: [{ se_offset: '0x2000000', se_len: '0x200000' }, { se_offset: '0x3000000', se_len: '0x200000' }] }] }),
];
const runs = Number(process.env.FUZZ_RUNS ?? 1e6);
const t0 = Date.now();
let accepted = 0, bad = 0;
const flaws: Record<string, number> = {};
const progress = new Progress('fuzz', runs);
for (let i = 0; i < runs; i++) {
  const o = fuzzPayload(bases[i % bases.length], i + 1);
  if (o.accepted) accepted++;
  if (o.flaw) flaws[o.flaw] = (flaws[o.flaw] ?? 0) + 1;
  if (!o.ok) {
    bad++;
    console.log(`seed ${i + 1}: ${o.why}${o.payload ? ` payload ${bytesToHex(o.payload)} (a new failure class: make it a vector)` : ''}`);
  }
  if ((i & 255) === 0) progress.tick(i, () => `${accepted} accepted, flaws ${JSON.stringify(flaws)}, ${bad} bad`);
}
progress.done();
console.log(`fuzz: ${runs} payloads, ${accepted} accepted, known flaws hit ${JSON.stringify(flaws)}, ${bad} failures, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
const imageRuns = Math.max(100, Math.floor(runs / 1000));
let imageBad = 0;
let imageClean = 0;
for (let i = 0; i < imageRuns; i++) {
  const o = fuzzImage(i + 1);
  if (o.clean) imageClean++;
  if (!o.ok) { imageBad++; console.log(`image seed ${i + 1}: ${o.why}`); }
}
console.log(`image fuzz: ${imageRuns} corrupted images, ${imageRuns - imageClean} reported as corrupt, ${imageBad} failures`);
bad += imageBad;
console.log(`${runs + imageRuns - bad} passed, ${bad} failed`);
process.exitCode = bad ? 1 : 0;
