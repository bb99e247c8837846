#!/usr/bin/env python3
"""Writes the order in which a HAProxy release registers its CLI keywords: one per line, its
words, a tab, its usage text (as `help` prints it).

HAProxy answers an unknown command with the keywords most alike to it; among equally alike
ones, those registered first win (src/cli.c, cli_gen_usage_msg). `help` lists keywords sorted,
so the emulator (emulator/src/usage.rs) reads the registration order from the files this
script writes: emulator/data/cli-order/<major.minor>.txt. The usage text maps a `help` line to
its keyword's words, which the text does not always spell the same (`new ssl crlfile`).

Registration follows link order: the Makefile's OPTIONS_OBJS, then OBJS, each in the order
they are added; inside a file, keyword tables in the order they appear. Only keywords with a
usage text are written (the others are never suggested).

Usage: scripts/cli-keyword-order.py <haproxy git dir> <tag> > emulator/data/cli-order/X.Y.txt
"""

import re
import subprocess
import sys


def show(git_dir, tag, path):
    result = subprocess.run(
        ["git", "--git-dir", git_dir, "show", f"{tag}:{path}"],
        capture_output=True,
        text=True,
        errors="replace",
    )
    return result.stdout if result.returncode == 0 else ""


def link_order(makefile):
    """The object files in link order: every OPTIONS_OBJS addition, then every OBJS one."""
    # Join continuation lines first.
    text = re.sub(r"\\\n", " ", makefile)
    options, objs = [], []
    for line in text.splitlines():
        match = re.match(r"\s*(OPTIONS_OBJS|OBJS)\s*\+?=\s*(.*)", line)
        if not match:
            continue
        target = options if match.group(1) == "OPTIONS_OBJS" else objs
        target.extend(w for w in match.group(2).split() if w.endswith(".o"))
    seen, order = set(), []
    for obj in options + objs:
        if obj not in seen:
            seen.add(obj)
            order.append(obj)
    return order


KEYWORD = re.compile(r'\{\s*\{\s*((?:"[^"]*"\s*,\s*)+)NULL\s*\}\s*,\s*("(?:[^"\\]|\\.)*"|NULL)')


def keywords(source):
    for match in KEYWORD.finditer(source):
        words = re.findall(r'"([^"]*)"', match.group(1))
        if match.group(2) != "NULL":
            usage = match.group(2)[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            yield " ".join(words), usage


def main():
    git_dir, tag = sys.argv[1], sys.argv[2]
    seen = set()
    for obj in link_order(show(git_dir, tag, "Makefile")):
        source = show(git_dir, tag, obj[:-2] + ".c")
        for keyword, usage in keywords(source):
            if keyword not in seen:
                seen.add(keyword)
                print(f"{keyword}\t{usage}")


if __name__ == "__main__":
    main()
