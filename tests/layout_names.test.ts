// uapi/layout: a field name the compiled codecs cannot write is refused when
// the struct is declared, not later by whichever codec is compiled first.
import { defineStruct, encodeStruct } from '../uapi/layout';

describe('defineStruct field names', () => {
  test('a name that is not an identifier is refused at declaration', () => {
    expect(() => defineStruct('bad_name_struct', 8, [['a-b', 'u64', 0]] as const)).toThrow('field name "a-b" is not an identifier');
  });

  test('an identifier name encodes without a decode first', () => {
    const l = defineStruct('good_name_struct', 8, [['lo', 'u32', 0], ['hi', 'u32', 4]] as const);
    expect(Array.from(encodeStruct(l, { lo: 1, hi: 0x01020304 }))).toEqual([1, 0, 0, 0, 4, 3, 2, 1]);
  });
});
