import { describe, expect, it } from 'vitest';
import { parseDbc } from '@telltale/dbc';
import type { Message } from '@telltale/dbc';
import { multiplexPageCount, staleAfterMs, STALE_AFTER_CYCLES, STALE_AFTER_FLOOR_MS } from './stale.js';

const DBC = `VERSION ""
NS_ :
BS_:
BU_: ECU
BO_ 1 Fast: 8 ECU
 SG_ Speed : 0|16@1+ (0.01,0) [0|300] "km/h" Vector__XXX
BO_ 2 Slow: 8 ECU
 SG_ Odometer : 0|24@1+ (0.1,0) [0|1000000] "km" Vector__XXX
BO_ 3 Pages: 8 ECU
 SG_ Page M : 0|8@1+ (1,0) [0|3] "" Vector__XXX
 SG_ Always : 8|8@1+ (1,0) [0|255] "" Vector__XXX
 SG_ A m0 : 16|8@1+ (1,0) [0|255] "" Vector__XXX
 SG_ B m1 : 16|8@1+ (1,0) [0|255] "" Vector__XXX
 SG_ Sub m2M : 16|4@1+ (1,0) [0|15] "" Vector__XXX
 SG_ C m0 : 24|8@1+ (1,0) [0|255] "" Vector__XXX
 SG_ D m3 : 24|8@1+ (1,0) [0|255] "" Vector__XXX
BO_ 4 Event: 8 ECU
 SG_ Key : 0|8@1+ (1,0) [0|255] "" Vector__XXX
BA_DEF_ BO_ "GenMsgCycleTime" INT 0 65535;
BA_ "GenMsgCycleTime" BO_ 1 10;
BA_ "GenMsgCycleTime" BO_ 2 1000;
BA_ "GenMsgCycleTime" BO_ 3 100;
SG_MUL_VAL_ 3 A Page 0-0;
SG_MUL_VAL_ 3 B Page 1-1;
SG_MUL_VAL_ 3 Sub Page 2-2;
SG_MUL_VAL_ 3 C Sub 0-4;
SG_MUL_VAL_ 3 D Page 3-3;
`;

const messages = parseDbc(DBC).database.messages;
const message = (name: string): Message => messages.find((m) => m.name === name)!;
const signal = (m: Message, name: string) => m.signals.find((s) => s.name === name)!;

describe('staleAfterMs', () => {
  it('is three cycles, never below the floor', () => {
    expect(STALE_AFTER_CYCLES).toBe(3);
    const fast = message('Fast');
    expect(staleAfterMs(fast, signal(fast, 'Speed'))).toBe(STALE_AFTER_FLOOR_MS);
    const slow = message('Slow');
    expect(staleAfterMs(slow, signal(slow, 'Odometer'))).toBe(3000);
  });

  it('stretches the period of page signals by the pages the sender rotates through', () => {
    const pages = message('Pages');
    // Page 0, 1 and 3 once each, page 2 once per value of the nested switch (0..4): 8 frames per rotation.
    expect(multiplexPageCount(pages)).toBe(8);
    expect(staleAfterMs(pages, signal(pages, 'A'))).toBe(3 * 100 * 8);
    expect(staleAfterMs(pages, signal(pages, 'C'))).toBe(3 * 100 * 8);
    expect(staleAfterMs(pages, signal(pages, 'Always'))).toBe(STALE_AFTER_FLOOR_MS);
  });

  it('is undefined for an event-driven message and 1 page for a plain one', () => {
    const event = message('Event');
    expect(staleAfterMs(event, signal(event, 'Key'))).toBeUndefined();
    expect(multiplexPageCount(message('Fast'))).toBe(1);
  });
});
