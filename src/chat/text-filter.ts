/**
 * The text chat filter run on every message before it is relayed to the partner. Messages are
 * never stored: per-sender state (SpamTracker) keeps timestamps and hashes only.
 *
 * Checks, in order (the first that fails decides): empty, flood, link, severe abuse, repeat; then
 * mild profanity is masked and the message goes through with a warning to the sender.
 */
import { DataSet, RegExpMatcher, TextCensor, asteriskCensorStrategy, englishDataset, englishRecommendedTransformers, type EnglishProfaneWord } from 'obscenity';
import { SpamTracker, fingerprint, type Fingerprint, type SpamTrackerOptions } from './spam-tracker.js';

/** Every reason a message can be blocked for; the client keys its texts on these. */
export const CHAT_BLOCK_REASONS = ['link', 'flood', 'repeat', 'abuse', 'empty'] as const;
/** Why a message was not relayed. */
export type ChatBlockReason = (typeof CHAT_BLOCK_REASONS)[number];

/** The filter's decision; `warning` is a short message for the sender, `text` what the partner sees. */
export type ChatFilterResult =
  { action: 'allow'; text: string } | { action: 'censor'; text: string; warning: string } | { action: 'block'; reason: ChatBlockReason; warning: string };

/** Human messages shown to the sender. */
export const CHAT_WARNINGS: Readonly<Record<ChatBlockReason | 'censor', string>> = Object.freeze({
  link: 'Links, web addresses and emails cannot be sent in chat.',
  flood: 'You are sending messages too fast. Slow down a little.',
  repeat: 'You already sent that. Try saying something new.',
  abuse: 'Message not sent: slurs and hateful language are not allowed.',
  empty: 'Message is empty.',
  censor: 'Some words in your message were hidden.',
});

/**
 * Terms of obscenity's englishDataset (by `originalWord`) that block a message instead of masking
 * it: slurs aimed at a group of people (race, ethnicity, religion, sexuality, gender identity,
 * disability). Everything else in the dataset (swearing, sexual words, insults) is masked. 'negro'
 * is deliberately left out: it is the everyday word for "black" in Spanish and Portuguese, so it is
 * masked rather than blocked.
 */
export const SEVERE_TERMS: ReadonlySet<EnglishProfaneWord> = new Set<EnglishProfaneWord>([
  'abeed',
  'abo',
  'africoon',
  'arabush',
  'boonga',
  'chingchong',
  'chink',
  'kike',
  'nigger',
  'fag',
  'dyke',
  'tranny',
  'retard',
  'spastic',
]);

/** Harmless words the dataset would otherwise catch ("fire retardant", "a chink in the armour"). */
const EXTRA_ALLOWED = ['retardant', 'retardation', 'chink in the armo', 'chinks in the armo'];

const dataset = new DataSet<{ originalWord: EnglishProfaneWord }>()
  .addAll(englishDataset)
  .addPhrase((phrase) => EXTRA_ALLOWED.reduce((p, term) => p.addWhitelistedTerm(term), phrase));
const matcher = new RegExpMatcher({ ...dataset.build(), ...englishRecommendedTransformers });
const censor = new TextCensor().setStrategy(asteriskCensorStrategy());

/**
 * Strips what must never be relayed: control and format characters (bidi overrides, zero-width
 * spaces; ZWJ is kept for emoji), runs of more than 4 combining marks ("zalgo"), more than one
 * blank line; tabs become spaces, CR/CRLF become LF, and the result is trimmed.
 */
export function cleanChatText(raw: string): string {
  return raw
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, ' ')
    .replace(/[\p{Cc}\p{Cf}]/gu, (ch) => (ch === '\n' || ch === '\u200d' ? ch : ''))
    .replace(/(\p{M}{4})\p{M}+/gu, '$1')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Compatibility-folded, lowercased form used for matching only (fullwidth "ｅｘ．ｃｏｍ" -> "ex.com"). */
function fold(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/\u200d/g, '')
    .replace(/[。｡]/g, '.');
}

/** Whitespace and the invisible "filler" characters used to send blank-looking messages. */
const BLANK = /[\s\u2800\u3164\u115f\u1160\uffa0]/gu;

/** Written as `name.tld` with no spaces: any TLD in common use for links, including short ones. */
const COMPACT_TLDS = [
  'com',
  'net',
  'org',
  'info',
  'biz',
  'io',
  'co',
  'me',
  'gg',
  'xyz',
  'app',
  'dev',
  'ly',
  'tv',
  'cc',
  'ws',
  'sh',
  'gl',
  'ai',
  'ru',
  'su',
  'de',
  'uk',
  'eu',
  'fr',
  'nl',
  'br',
  'cn',
  'jp',
  'kr',
  'ca',
  'au',
  'es',
  'pl',
  'tk',
  'ml',
  'ga',
  'cf',
  'gq',
  'icu',
  'vip',
  'top',
  'club',
  'site',
  'online',
  'link',
  'live',
  'shop',
  'chat',
  'social',
  'onion',
  'page',
  'store',
  'fun',
  'pro',
  'bio',
  'fyi',
  'zip',
  'mov',
].join('|');
/** Written with spaces or "dot": only TLDs that are not also everyday English words. */
const SPACED_TLDS = 'com|net|org|io|gg|xyz|ru|info|biz';
/** A letter or digit, a dot, a TLD, then no more letters: the tail of any domain. Linear time. */
const domainPattern = (tlds: string): RegExp => new RegExp(`[\\p{L}\\p{N}]\\.(?:${tlds})(?![\\p{L}\\p{N}])`, 'u');
const COMPACT_DOMAIN = domainPattern(COMPACT_TLDS);
const SPACED_DOMAIN = domainPattern(SPACED_TLDS);
const SCHEME = /\b(?:https?|hxxps?|ftp)\s*:\s*\/\s*\//u;
const WWW = /(?<![\p{L}\p{N}])www\d{0,3}\./u;
const IPV4 = /(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?!\.?\d)/u;

/** Undoes the usual disguises: "x dot com", "x (dot) com", "x[.]com", "x . com", "x .com". */
function undisguise(folded: string): string {
  return folded
    .replace(/\s*[([{<]\s*(?:dot|d0t|\.)\s*[)\]}>]\s*/gu, '.')
    .replace(/\s+(?:dot|d0t)\s+/gu, '.')
    .replace(/\s+\.\s*/gu, '.');
}

/**
 * True when the text contains a URL, a `www.` address, a domain (`example.com`, `discord.gg`,
 * `me@mail.com`, disguised as `example dot com`) or an IPv4 address. Expects folded text.
 */
function containsLink(folded: string): boolean {
  if (SCHEME.test(folded) || COMPACT_DOMAIN.test(folded) || IPV4.test(folded)) return true;
  const plain = undisguise(folded);
  return WWW.test(plain) || SPACED_DOMAIN.test(plain) || SCHEME.test(plain);
}

/** Result of the profanity scan: severe terms block, others are masked in `censored`. */
type ProfanityScan = { kind: 'clean' } | { kind: 'mild'; censored: string } | { kind: 'severe' };

function scanProfanity(text: string): ProfanityScan {
  const matches = matcher.getAllMatches(text, true);
  if (matches.length === 0) return { kind: 'clean' };
  const severe = matches.some((m) => {
    const word = dataset.getPayloadWithPhraseMetadata(m).phraseMetadata?.originalWord;
    return word !== undefined && SEVERE_TERMS.has(word);
  });
  return severe ? { kind: 'severe' } : { kind: 'mild', censored: censor.applyTo(text, matches) };
}

/** Key for "same message again": letters and digits only, repeated characters collapsed ("Hiii!!" = "hi"). */
function repeatKey(folded: string): string {
  const key = folded.replace(/[^\p{L}\p{N}]/gu, '').replace(/(.)\1+/gu, '$1');
  return key === '' ? folded.replace(BLANK, '') : key;
}

export interface ChatFilterOptions extends SpamTrackerOptions {
  /** Messages whose repeat key is shorter than this ("ok", "lol", one emoji) are never "repeats". Default 4. */
  repeatMinLength?: number;
}

/** The filter for one sender in one session; create a new one per session. */
export class ChatFilter {
  readonly #spam: SpamTracker;
  readonly #repeatMinLength: number;

  constructor(options: ChatFilterOptions = {}) {
    const { repeatMinLength = 4, ...spam } = options;
    if (!Number.isInteger(repeatMinLength) || repeatMinLength < 1) {
      throw new TypeError(`repeatMinLength must be a positive integer, got ${String(repeatMinLength)}`);
    }
    this.#spam = new SpamTracker(spam);
    this.#repeatMinLength = repeatMinLength;
  }

  /** Decides what happens to one message. Only relayed messages (allow/censor) count towards flood and repeat. */
  check(raw: string): ChatFilterResult {
    const text = cleanChatText(raw);
    const folded = fold(text);
    if (folded.replace(BLANK, '') === '') return block('empty');
    if (this.#spam.isFlooding()) return block('flood');
    if (containsLink(folded)) return block('link');
    const profanity = scanProfanity(text);
    if (profanity.kind === 'severe') return block('abuse');
    const key = repeatKey(folded);
    const print: Fingerprint | null = [...key].length >= this.#repeatMinLength ? fingerprint(key) : null;
    if (print !== null && this.#spam.isRepeat(print)) return block('repeat');
    this.#spam.record(print);
    return profanity.kind === 'mild' ? { action: 'censor', text: profanity.censored, warning: CHAT_WARNINGS.censor } : { action: 'allow', text };
  }
}

function block(reason: ChatBlockReason): ChatFilterResult {
  return { action: 'block', reason, warning: CHAT_WARNINGS[reason] };
}
