#!/usr/bin/env bash
# Rebuilds retrieval/wordlist/words.txt, the English word list that
# spelling correction consults (a word in it is a real word, not a typo),
# from SCOWL as Debian packages it (wamerican, wbritish): folded to lower
# case ASCII, possessives dropped, one word a line, sorted, unique.
set -euo pipefail
cd "$(dirname "$0")/.."
for f in /usr/share/dict/american-english /usr/share/dict/british-english; do
  [ -f "$f" ] || { echo "missing $f: apt-get install wamerican wbritish" >&2; exit 1; }
done
out=retrieval/wordlist/words.txt
cat /usr/share/dict/american-english /usr/share/dict/british-english \
  | iconv -f utf-8 -t ascii//TRANSLIT \
  | tr 'A-Z' 'a-z' \
  | sed -e "s/'s\$//" \
  | grep -E '^[a-z]+$' \
  | LC_ALL=C sort -u \
  > "$out"
cp /usr/share/doc/wamerican/copyright retrieval/wordlist/COPYRIGHT.SCOWL
echo "$out: $(wc -l < "$out") words, $(stat -c %s "$out") bytes"
