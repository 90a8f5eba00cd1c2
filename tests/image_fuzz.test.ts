// The image fuzz checks contents (issue 13 item 9, image part): a clean check
// means every file reads back as the bytes that were written.
import { fuzzImageContents } from '../sim/image/fuzz_oracle';

test('200 corrupted images: clean ones read back exactly; the damage is mostly caught', () => {
  const outcomes = Array.from({ length: 200 }, (_, i) => fuzzImageContents(i + 1));
  expect(outcomes.filter((o) => !o.ok).map((o) => o.why)).toEqual([]);
  const raw = outcomes.filter((_, i) => (i + 1) % 2 === 1);
  const forged = outcomes.filter((_, i) => (i + 1) % 2 === 0);
  // both kinds produce clean and damaged images, so both branches of the oracle run
  for (const set of [raw, forged]) {
    expect(set.filter((o) => o.clean).length).toBeGreaterThan(10);
    expect(set.filter((o) => !o.clean).length).toBeGreaterThan(15);
  }
}, 120_000);
