"""Which keys fsspec's glob_translate (what anystore and putfs match globs with) matches.

Reads [[glob, [keys...]], ...] as JSON on stdin; writes [[bool...] or null, ...] (null: fsspec
refuses the glob) as JSON. Run with .tools/venv-putfs/bin/python.
"""

import json
import re
import sys

from fsspec.utils import glob_translate

answers = []
for glob, keys in json.load(sys.stdin):
    try:
        pattern = re.compile(glob_translate(glob))
    except ValueError:
        answers.append(None)
        continue
    answers.append([pattern.fullmatch(key) is not None for key in keys])
json.dump(answers, sys.stdout)
