import { describe, expect, it } from 'vitest';
import { CHAT_WARNINGS, ChatFilter, SEVERE_TERMS, cleanChatText, type ChatFilterOptions, type ChatFilterResult } from '../../src/chat/text-filter.js';
import { SpamTracker, fingerprint, type SpamTrackerOptions } from '../../src/chat/spam-tracker.js';

const allow = (text: string): ChatFilterResult => ({ action: 'allow', text });
const censored = (text: string): ChatFilterResult => ({ action: 'censor', text, warning: CHAT_WARNINGS.censor });
const blocked = (reason: 'link' | 'flood' | 'repeat' | 'abuse' | 'empty'): ChatFilterResult => ({
  action: 'block',
  reason,
  warning: CHAT_WARNINGS[reason],
});

describe('cleanChatText', () => {
  const cases: [name: string, raw: string, expected: string][] = [
    ['plain text untouched', 'hello there', 'hello there'],
    ['trims', '  hi  \n', 'hi'],
    ['CRLF and CR become LF', 'a\r\nb\rc', 'a\nb\nc'],
    ['tabs become spaces', 'a\tb', 'a b'],
    ['C0/C1 controls removed', 'a\u0000b\u0007c\u001bd\u009be', 'abcde'],
    ['bidi override removed', 'abc\u202Edef\u202C', 'abcdef'],
    ['zero-width space and BOM removed', 'a\u200Bb\uFEFFc', 'abc'],
    ['ZWJ kept inside emoji', 'hi 👨\u200D👩\u200D👧', 'hi 👨\u200D👩\u200D👧'],
    ['at most one blank line', 'a\n\n\n\n\nb', 'a\n\nb'],
    ['zalgo capped at 4 marks', `e${'\u0301'.repeat(30)}`, `e${'\u0301'.repeat(4)}`],
    ['accents kept', 'café Ωmega ñ', 'café Ωmega ñ'],
  ];
  it.each(cases)('%s', (_name, raw, expected) => {
    expect(cleanChatText(raw)).toBe(expected);
  });
});

describe('ChatFilter.check, one message', () => {
  const cases: [name: string, input: string, expected: ChatFilterResult][] = [
    // allowed, including near misses for every rule
    ['ordinary text', 'hey, where are you from?', allow('hey, where are you from?')],
    ['cleaned text is what is relayed', '\u202Ehi\u0000 there ', allow('hi there')],
    ['file names and versions are not links', 'I use node.js 20.11 and read notes.txt', allow('I use node.js 20.11 and read notes.txt')],
    [
      'sentence ending before a TLD-like word',
      'Nice to meet you. Me too. Thanks. Info is on the sign',
      allow('Nice to meet you. Me too. Thanks. Info is on the sign'),
    ],
    ['e.g. and i.e.', 'e.g. cats, i.e. small ones', allow('e.g. cats, i.e. small ones')],
    ['words containing profanity', 'the assassin ate grapes in Scunthorpe', allow('the assassin ate grapes in Scunthorpe')],
    ['whitelisted: retardant', 'the fire retardant worked', allow('the fire retardant worked')],
    ['whitelisted: idiom', 'a chink in the armour', allow('a chink in the armour')],
    ['emoji only', '👍', allow('👍')],
    // empty
    ['empty string', '', blocked('empty')],
    ['spaces only', '    ', blocked('empty')],
    ['newlines and tabs', '\n\t\r\n', blocked('empty')],
    ['control characters only', '\u0000\u0007\u001b', blocked('empty')],
    ['zero-width characters only', '\u200B\u200D\uFEFF', blocked('empty')],
    ['invisible fillers', '\u2800 \u3164 \u115F\u1160\uFFA0', blocked('empty')],
    // links
    ['http URL', 'look http://x.y/z', blocked('link')],
    ['https URL in capitals', 'HTTPS://EXAMPLE.ORG/path', blocked('link')],
    ['defanged scheme', 'hxxps://evil', blocked('link')],
    ['spaced scheme', 'http : // something', blocked('link')],
    ['www.', 'visit www.shop-now', blocked('link')],
    ['www dot', 'www dot something', blocked('link')],
    ['bare domain', 'go to Example.COM now', blocked('link')],
    ['domain with path', 'discord.gg/abcd', blocked('link')],
    ['short TLD link', 't.me/somebody', blocked('link')],
    ['subdomains', 'mail.sub.example.co.uk', blocked('link')],
    ['email address', 'write me@gmail.com', blocked('link')],
    ['internationalized domain', 'münchen.de', blocked('link')],
    ['"dot" word', 'example dot com', blocked('link')],
    ['"(dot)"', 'example (dot) com', blocked('link')],
    ['"[.]"', 'example[.]com', blocked('link')],
    ['spaced dot', 'example . com', blocked('link')],
    ['space before dot', 'example .net', blocked('link')],
    ['fullwidth characters', 'ｅｘａｍｐｌｅ．ｃｏｍ', blocked('link')],
    ['ideographic full stop', 'example。com', blocked('link')],
    ['zero-width space inside', 'exa\u200Bmple.c\u200Bom', blocked('link')],
    ['IPv4 address', 'connect to 192.168.0.1 now', blocked('link')],
    // severe abuse
    ['racial slur', 'you kike', blocked('abuse')],
    ['slur in leetspeak', 'n1gger', blocked('abuse')],
    ['slur with repeated letters', 'faaaggot', blocked('abuse')],
    ['slur hidden by zero-width spaces', 'k\u200Bi\u200Bk\u200Be', blocked('abuse')],
    ['disability slur', 'you are a retard', blocked('abuse')],
    ['slur next to mild swearing', 'fuck you tranny', blocked('abuse')],
    // mild profanity
    ['swearing is masked', 'fuck you', censored('**** you')],
    ['masked inside a sentence', 'this is shit, really', censored('this is ****, really')],
    ['several words masked', 'shit, what a bitch', censored('****, what a *****')],
    ['negro is masked, not blocked', 'el color negro', censored('el color *****')],
    ['link check comes before profanity', 'fuck example.com', blocked('link')],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(new ChatFilter().check(input)).toEqual(expected);
  });

  it('every severe term is a term of the dataset and is caught as abuse', () => {
    const samples: Record<string, string> = {
      abeed: 'abeed',
      abo: 'abo',
      africoon: 'africoon',
      arabush: 'arabush',
      boonga: 'boonga',
      chingchong: 'chingchong',
      chink: 'chink',
      kike: 'kike',
      nigger: 'nigger',
      fag: 'fag',
      dyke: 'dyke',
      tranny: 'tranny',
      retard: 'retard',
      spastic: 'spastic',
    };
    expect([...SEVERE_TERMS].sort()).toEqual(Object.keys(samples).sort());
    for (const sample of Object.values(samples)) {
      expect(new ChatFilter().check(`you ${sample}`), sample).toEqual(blocked('abuse'));
    }
  });
});

/** One step of a conversation: at time `at` (ms) the sender sends `input`; `expect` is the action or block reason. */
type Step = [at: number, input: string, expect: 'allow' | 'censor' | 'link' | 'flood' | 'repeat' | 'abuse' | 'empty'];

function play(options: ChatFilterOptions, steps: Step[]): string[] {
  let t = 0;
  const filter = new ChatFilter({ ...options, now: () => t });
  return steps.map(([at, input]) => {
    t = at;
    const result = filter.check(input);
    return result.action === 'block' ? result.reason : result.action;
  });
}

describe('ChatFilter.check, conversations', () => {
  const distinct = (n: number, from = 0, gap = 100): Step[] =>
    Array.from({ length: n }, (_, i): Step => [from + i * gap, `message number ${String.fromCharCode(97 + i)}`, 'allow']);

  const cases: { name: string; options?: ChatFilterOptions; steps: Step[] }[] = [
    {
      name: 'default flood limit: the 7th message within 5 s is blocked, later ones pass',
      steps: [...distinct(6), [600, 'one more', 'flood'], [700, 'and another', 'flood'], [5_001, 'calm now', 'allow']],
    },
    {
      name: 'custom flood limit',
      options: { floodMessages: 2, floodWindowMs: 1_000 },
      steps: [
        [0, 'first one', 'allow'],
        [10, 'second one', 'allow'],
        [999, 'third one', 'flood'],
        [1_000, 'fourth one', 'allow'],
      ],
    },
    {
      name: 'blocked messages do not count towards flooding',
      options: { floodMessages: 2, floodWindowMs: 1_000 },
      steps: [
        [0, 'a.com', 'link'],
        [1, 'b.com', 'link'],
        [2, ' ', 'empty'],
        [3, 'kike', 'abuse'],
        [4, 'hello there', 'allow'],
      ],
    },
    {
      name: 'third identical message within a minute is blocked',
      steps: [
        [0, 'follow me on insta', 'allow'],
        [10_000, 'follow me on insta', 'allow'],
        [20_000, 'follow me on insta', 'repeat'],
      ],
    },
    {
      name: 'near-identical variants count as the same message',
      steps: [
        [0, 'Follow me on insta', 'allow'],
        [10_000, 'follow   me on insta!!!', 'allow'],
        [20_000, 'FOLLOW MEEE ON INSTAAA', 'repeat'],
      ],
    },
    {
      name: 'a repeat is allowed again once the first copy is older than the window',
      steps: [
        [0, 'anyone here', 'allow'],
        [30_000, 'anyone here', 'allow'],
        [50_000, 'anyone here', 'repeat'],
        [60_001, 'anyone here', 'allow'],
      ],
    },
    {
      name: 'censored messages count as repeats too',
      steps: [
        [0, 'fuck this app', 'censor'],
        [1_000, 'fuck this app', 'censor'],
        [2_000, 'fuck this app', 'repeat'],
      ],
    },
    {
      name: 'short replies are never repeats',
      steps: [
        [0, 'ok', 'allow'],
        [10_000, 'ok', 'allow'],
        [20_000, 'ok', 'allow'],
        [30_000, 'lol', 'allow'],
        [40_000, 'lol', 'allow'],
        [50_000, 'lol', 'allow'],
      ],
    },
    {
      name: 'custom repeat limit and min length',
      options: { repeatLimit: 1, repeatMinLength: 2 },
      steps: [
        [0, 'ok', 'allow'],
        [10_000, 'ok', 'repeat'],
        [20_000, 'k', 'allow'],
        [30_000, 'k', 'allow'],
      ],
    },
    {
      name: 'history is bounded: a copy pushed out of the history is forgotten',
      options: { repeatLimit: 1, repeatHistory: 2 },
      steps: [
        [0, 'spam spam', 'allow'],
        [1_000, 'other one', 'allow'],
        [2_000, 'spam spam', 'repeat'],
        [3_000, 'third thing', 'allow'],
        [4_000, 'spam spam', 'allow'],
      ],
    },
  ];
  it.each(cases)('$name', ({ options = {}, steps }) => {
    expect(play(options, steps)).toEqual(steps.map(([, , expected]) => expected));
  });
});

describe('options', () => {
  const bad: [string, ChatFilterOptions][] = [
    ['zero floodMessages', { floodMessages: 0 }],
    ['fractional floodMessages', { floodMessages: 1.5 }],
    ['negative floodWindowMs', { floodWindowMs: -5 }],
    ['zero repeatLimit', { repeatLimit: 0 }],
    ['NaN repeatWindowMs', { repeatWindowMs: Number.NaN }],
    ['zero repeatHistory', { repeatHistory: 0 }],
    ['zero repeatMinLength', { repeatMinLength: 0 }],
  ];
  it.each(bad)('rejects %s with TypeError', (_name, options) => {
    expect(() => new ChatFilter(options)).toThrow(TypeError);
  });

  it.each<[string, SpamTrackerOptions]>([
    ['infinite floodWindowMs', { floodWindowMs: Number.POSITIVE_INFINITY }],
    ['fractional repeatHistory', { repeatHistory: 2.5 }],
  ])('SpamTracker rejects %s with TypeError', (_name, options) => {
    expect(() => new SpamTracker(options)).toThrow(TypeError);
  });
});

describe('fingerprint', () => {
  it('is a short hex hash that does not contain the text and is stable', () => {
    const print = fingerprint('follow me on insta');
    expect(print).toMatch(/^[0-9a-f]{16}$/);
    expect(print).not.toContain('insta');
    expect(fingerprint('follow me on insta')).toBe(print);
    expect(fingerprint('follow me on insta2')).not.toBe(print);
  });
});
