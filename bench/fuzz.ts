// make fuzz: a long campaign (FUZZ_RUNS payloads, default 10^6).
import { bytesToHex } from '../uapi/fmap_codec';
import { FUZZ_BASES as bases, fuzzPayload, fuzzImage, Progress } from './fuzzlib';

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
