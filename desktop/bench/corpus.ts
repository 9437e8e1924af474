// Deterministic message text for the core benchmark: everyday words plus made-up ones, so
// the trigram index sees a realistic spread of common and rare fragments, and the search
// queries below hit anything from most of the history to nothing at all.

/** mulberry32: a small seeded PRNG, so every run stores the same corpus. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COMMON = (
  'the a to and of I you it is in that for on be with we this have are not at do but so just can was ' +
  'what if me my your all will get about like when up out no one there know about time think see going ' +
  'today tomorrow tonight weekend meeting coffee lunch dinner project deadline review call later soon ' +
  'thanks great sounds good okay sure maybe please sorry wonderful understand weather train office ' +
  'home kids school holiday flight hotel booking tickets concert birthday present garden kitchen'
).split(' ');

const SYLLABLES = 'ka ri to mu se lo na vi pe du ra ko mi zu te ba lu ne fo gi sha chi ren tak mor vel dis qua pri'.split(' ');

/** ~3,000 made-up words of 2-4 syllables: the long tail of names, places and jargon. */
function inventWords(rand: () => number, n: number): string[] {
  const words = new Set<string>();
  while (words.size < n) {
    const k = 2 + Math.floor(rand() * 3);
    let w = '';
    for (let i = 0; i < k; i++) w += SYLLABLES[Math.floor(rand() * SYLLABLES.length)];
    words.add(w);
  }
  return [...words];
}

/** The long tail, the same for every corpus (the search queries below pick from it). */
const RARE = inventWords(prng(7), 3000);

const LONG = RARE.filter((w) => w.length >= 11);

export function messageTexts(seed: number): () => string {
  const rand = prng(seed);
  const rare = RARE;
  return () => {
    const n = 4 + Math.floor(rand() * 12);
    const words: string[] = [];
    for (let i = 0; i < n; i++) words.push(rand() < 0.8 ? COMMON[Math.floor(rand() * COMMON.length)] : rare[Math.floor(rand() * rare.length)]);
    return words.join(' ');
  };
}

/** Search queries by how much of the history they match (fragments inside words on purpose). */
export const SEARCH_QUERIES: { query: string; kind: string }[] = [
  { query: 'onderf', kind: 'common fragment' },
  { query: 'eeti', kind: 'common fragment' },
  { query: 'ffe', kind: 'common fragment' },
  { query: 'rthda', kind: 'common fragment' },
  { query: 'coffee tomorrow', kind: 'two words' },
  { query: 'ekend ncert', kind: 'two fragments' },
  // A long invented word is in ~1 message of 1,500 (20% of words, 1 of 3,000), and shorter words rarely contain it.
  { query: LONG[0], kind: 'uncommon word (~1 message in 1,500)' },
  { query: LONG[1].slice(1, -1), kind: 'uncommon word, inner fragment' },
  { query: `${LONG[2]} ${LONG[3]}`, kind: 'two uncommon words (no message has both)' },
  { query: 'xylophone', kind: 'no match' },
];
