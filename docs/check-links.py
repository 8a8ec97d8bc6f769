#!/usr/bin/env python3
"""Check every relative link (and its #anchor) in README.md and docs/**/*.md."""
import re, os, sys, glob
def slug(h):
    h = h.strip().lower()
    h = re.sub(r'[^\w\- ]', '', h)   # GitHub: drop punctuation, keep word chars, '-', ' '
    return h.replace(' ', '-')
def anchors(path):
    out, seen = set(), {}
    inside = False
    for line in open(path, encoding='utf-8'):
        if line.startswith('```'): inside = not inside
        if inside: continue
        m = re.match(r'^(#{1,6})\s+(.*)$', line)
        if m:
            s = slug(m.group(2)); n = seen.get(s, 0); seen[s] = n + 1
            out.add(s if n == 0 else f'{s}-{n}')
    return out
files = ['README.md'] + sorted(glob.glob('docs/**/*.md', recursive=True))
bad = 0; total = 0
for f in files:
    text = open(f, encoding='utf-8').read()
    text = re.sub(r'```.*?```', '', text, flags=re.S)
    text = re.sub(r'`[^`\n]*`', '', text)
    for m in re.finditer(r'!?\[[^\]]*\]\(([^)\s]+)\)', text):
        target = m.group(1)
        if re.match(r'^[a-z]+:', target): continue
        total += 1
        path, _, frag = target.partition('#')
        full = os.path.normpath(os.path.join(os.path.dirname(f), path)) if path else f
        if not os.path.exists(full):
            print(f'{f}: missing file {target}'); bad += 1; continue
        if frag and full.endswith('.md') and frag not in anchors(full):
            print(f'{f}: missing anchor {target}'); bad += 1
print(f'{total} relative links in {len(files)} files, {bad} broken')
sys.exit(1 if bad else 0)
