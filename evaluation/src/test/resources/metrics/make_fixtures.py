#!/usr/bin/python3
"""Regenerates fixtures.json for BleuTest, RougeTest (run with Debian's python3-nltk 3.8).

sacrebleu and rouge-score are not installable here (no PyPI), so the references are:
  * BLEU: NLTK's corpus_bleu with SmoothingFunction().method3 (the NIST geometric smoothing that
    sacreBLEU calls 'exp'), fed text tokenized by tok_13a() below, an independent Python
    re-implementation of sacreBLEU's tokenizer_13a.py / tokenizer_re.py from their published
    regexes. Every segment has >= 4 tokens: for shorter segments NLTK counts a denominator of 1
    where sacreBLEU counts 0, and the two packages then legitimately differ.
  * Stemming: NLTK's PorterStemmer() in its default NLTK_EXTENSIONS mode, the stemmer rouge-score
    instantiates for use_stemmer=True.
  * ROUGE: rouge_1_2_l() below, a transcription of rouge-score's tokenize.py and
    rouge_scorer.py (_create_ngrams, _score_ngrams, _score_lcs, score_multi), using NLTK's stemmer.

Usage: /usr/bin/python3 make_fixtures.py > fixtures.json
"""
import collections
import json
import re
import sys

import nltk
from nltk.stem import porter
from nltk.translate.bleu_score import (SmoothingFunction, closest_ref_length, corpus_bleu,
                                       modified_precision)

# ---- sacreBLEU 13a, from tokenizer_13a.py + tokenizer_re.py -------------------------------
_RE_13A = [
    (re.compile(r'([\{-\~\[-\` -\&\(-\+\:-\@\/])'), r' \1 '),
    (re.compile(r'([^0-9])([\.,])'), r'\1 \2 '),
    (re.compile(r'([\.,])([^0-9])'), r' \1 \2'),
    (re.compile(r'([0-9])(-)'), r'\1 \2 '),
]


def tok_13a(line):
    line = line.rstrip()  # sacreBLEU's _preprocess_segment strips the right end first
    line = line.replace('<skipped>', '').replace('-\n', '').replace('\n', ' ')
    line = line.replace('&quot;', '"').replace('&amp;', '&').replace('&lt;', '<').replace('&gt;', '>')
    line = ' {} '.format(line)
    for pattern, repl in _RE_13A:
        line = pattern.sub(repl, line)
    return ' '.join(line.split())


TOKENIZER_CASES = [
    'Hello, world!',
    'The price is $3.14, not 1,000.',
    'It costs 5-10 euros (approx.) in 2019-2020.',
    'She said &quot;yes&quot; &amp; left &lt;quickly&gt;.',
    'e-mail me at john.doe@example.com; ok?',
    'hyphen-\nated line\nbreak',
    '<skipped> text after skip',
    "Don't split apostrophes; but {braces} [brackets] `ticks` ~tilde| pipes",
    'Ünïcödé café — naïve “quotes” 東京 is great… 🙂',
    'trailing spaces and tab\t  ',
    'a.b,c 1.5 2,5 .5 ,5 5. 5,',
    'no\u00a0break\u2009thin spaces',
    '',
]

BLEU_CASES = {
    'punctuation_numbers_multiref': (
        [
            'The cat sat on the mat, and it was 3.14 meters long.',
            'In 2019-2020, sales rose by 1,000 units (about 5%).',
            'He said &quot;hello&quot; to everyone at the party.',
            'A completely different sentence with few overlaps here.',
        ],
        [
            ['The cat sat on the mat; it was 3.14 meters long.',
             'A cat was sitting on the mat, 3.14 meters in length.'],
            ['In 2019-2020, sales grew by 1,000 units (roughly 5%).'],
            ['He said "hello" to all at the party.', 'He greeted everyone at the party.'],
            ['Nothing in common at all with the other text.'],
        ],
    ),
    'zero_higher_order_exp_smoothing': (
        ['alpha beta gamma delta epsilon', 'zeta eta theta iota kappa'],
        [['alpha gamma beta epsilon delta'], ['eta zeta iota theta kappa']],
    ),
    'brevity_penalty': (
        ['the quick brown fox jumps'],
        [['the quick brown fox jumps over the lazy dog today']],
    ),
    'case_sensitive': (
        ['The Quick Brown Fox jumps over The Lazy Dog'],
        [['the quick brown fox jumps over the lazy dog']],
    ),
    'unicode': (
        ['Le café est très bon aujourd\'hui à Paris.', '東京 は 大きい 都市 です 。', 'Ich mag Äpfel und Bäume 🙂 sehr.'],
        [['Le café est très bon à Paris aujourd\'hui.'], ['東京 は とても 大きい 都市 です 。'],
         ['Ich mag Äpfel und Bäume sehr 🙂.']],
    ),
    'closest_ref_tie_prefers_shorter': (
        ['one two three four five six'],
        [['one two three four five', 'one two three four five six seven']],
    ),
    'identical': (
        ['This is exactly the same sentence.', 'And so is this one, really.'],
        [['This is exactly the same sentence.'], ['And so is this one, really.']],
    ),
}


def bleu_case(hyps, refs):
    tok_h = [tok_13a(h).split() for h in hyps]
    tok_r = [[tok_13a(r).split() for r in rs] for rs in refs]
    assert all(len(h) >= 4 for h in tok_h), 'keep segments >= 4 tokens (see docstring)'
    score = corpus_bleu(tok_r, tok_h, smoothing_function=SmoothingFunction().method3)
    counts, totals = [0] * 4, [0] * 4
    for rs, h in zip(tok_r, tok_h):
        for n in range(1, 5):
            p = modified_precision(rs, h, n)
            counts[n - 1] += p.numerator
            totals[n - 1] += p.denominator
    sys_len = sum(len(h) for h in tok_h)
    ref_len = sum(closest_ref_length(rs, len(h)) for rs, h in zip(tok_r, tok_h))
    return {'hypotheses': hyps, 'references': refs, 'score': 100.0 * score,
            'counts': counts, 'totals': totals, 'sys_len': sys_len, 'ref_len': ref_len}


# ---- rouge-score --------------------------------------------------------------------------
STEMMER = porter.PorterStemmer()  # NLTK_EXTENSIONS, as rouge_scorer.RougeScorer(use_stemmer=True)


def rouge_tokenize(text, stem):
    text = re.sub(r'[^a-z0-9]+', ' ', text.lower())
    tokens = re.split(r'\s+', text)
    if stem:
        tokens = [STEMMER.stem(x) if len(x) > 3 else x for x in tokens]
    return [x for x in tokens if re.match(r'^[a-z0-9]+$', x)]


def _fm(p, r):
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def _ngrams(tokens, n):
    return collections.Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def _rouge_n(t, p, n):
    tn, pn = _ngrams(t, n), _ngrams(p, n)
    inter = sum(min(c, pn[g]) for g, c in tn.items())
    prec = inter / max(sum(pn.values()), 1)
    rec = inter / max(sum(tn.values()), 1)
    return [prec, rec, _fm(prec, rec)]


def _rouge_l(t, p):
    if not t or not p:
        return [0.0, 0.0, 0.0]
    table = [[0] * (len(p) + 1) for _ in range(len(t) + 1)]
    for i in range(1, len(t) + 1):
        for j in range(1, len(p) + 1):
            table[i][j] = table[i - 1][j - 1] + 1 if t[i - 1] == p[j - 1] else max(table[i - 1][j], table[i][j - 1])
    lcs = table[-1][-1]
    prec, rec = lcs / len(p), lcs / len(t)
    return [prec, rec, _fm(prec, rec)]


def rouge_1_2_l(target, prediction, stem):
    t, p = rouge_tokenize(target, stem), rouge_tokenize(prediction, stem)
    return {'rouge1': _rouge_n(t, p, 1), 'rouge2': _rouge_n(t, p, 2), 'rougeL': _rouge_l(t, p)}


def rouge_multi(targets, prediction, stem):
    per = [rouge_1_2_l(t, prediction, stem) for t in targets]
    out = {}
    for k in ('rouge1', 'rouge2', 'rougeL'):
        best = 0
        for i in range(1, len(per)):
            if per[i][k][2] > per[best][k][2]:  # np.argmax: first maximum wins
                best = i
        out[k] = per[best][k]
    return out


ROUGE_CASES = [
    (['The quick brown fox jumps over the lazy dog'], 'The quick brown dog jumps on the log.'),
    (['Studies of flying birds show they are running and jumping quickly.'],
     'The study of birds that fly shows them runs and jumps quick.'),
    (['The police killed the gunman.', 'The gunman was shot dead by police.'], 'Police kill the gunman'),
    (['Universities generalize organizational abilities; happiness is relational.'],
     'University generalization of organization ability: happy relations!'),
    (['Café déjà vu — naïve coöperation, 2024 edition'], 'cafe deja vu naive cooperation 2024'),
    (['東京 は 大きい'], '東京 は 大きい'),
    (['a b a b a b'], 'a b b a'),
    (['testing one two'], ''),
]

STEM_WORDS = '''caresses ponies ties dies lies flies cats feed agreed plastered bled motoring sing
conflated troubled sized hopping tanned falling hissing fizzed failing filing happy sky relational
conditional rational valenci hesitanci digitizer conformabli radicalli differentli vileli analogousli
vietnamization predication operator feudalism decisiveness hopefulness callousness formaliti
sensitiviti sensibiliti triplicate formative formalize electriciti electrical hopeful goodness revival
allowance inference airliner gyroscopic adjustable defensible irritant replacement adjustment
dependent adoption homologou communism activate angulariti homologous effective bowdlerize probate
rate cease controll roll generously dying lying tying skies news innings outing outings canning
cannings howe proceed exceed succeed running jumps testing summaries summarization quickly abilities
possibly fairly crying agreement happiness national organization generalization universities
computers computing computed meeting meetings recently tested bodies studies cried denied seeing
spied tried enjoy enjoyment analogi apologi fulli hopefulli theologi archaeology biology
traditionally finally generally really totally ably sensibly feasibly bye eyes ying yelling
ed ing is as us news unless ages oed abed'''.split()

if __name__ == '__main__':
    fixtures = {
        'generator': 'make_fixtures.py with NLTK ' + nltk.__version__,
        'tokenizer_13a': [{'input': s, 'expected': tok_13a(s)} for s in TOKENIZER_CASES],
        'bleu': {name: bleu_case(h, r) for name, (h, r) in BLEU_CASES.items()},
        'porter': {w: STEMMER.stem(w) for w in STEM_WORDS},
        'rouge': [{'targets': t, 'prediction': p, 'stemmed': stem,
                   'expected': rouge_multi(t, p, stem)}
                  for (t, p) in ROUGE_CASES for stem in (False, True)],
    }
    json.dump(fixtures, sys.stdout, indent=1, ensure_ascii=False, sort_keys=True)
    sys.stdout.write('\n')
