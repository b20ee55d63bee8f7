"""Print mutmut's results per mutated module: killed / survived / timeout / no tests / not checked.

Reads ``mutants/**/*.py.meta`` (written by ``mutmut run``) and maps exit codes with mutmut's own
table, so the counts are the ones ``mutmut results`` lists, grouped by file. Score = killed (and
timed out) over the mutants that were run.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

COLUMNS = ("killed", "survived", "timeout", "no tests", "not checked")


def counts(meta: Path) -> Counter[str]:
    """Status -> number of mutants of one ``.meta`` file (other statuses under their own name)."""
    codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"].values()
    return Counter(status_by_exit_code[c] for c in codes)


def main(root: str = "mutants") -> int:
    metas = sorted(Path(root).glob("**/*.py.meta"))
    if not metas:
        print(f"no mutmut results under {root}/: run `make mutation` first", file=sys.stderr)
        return 1
    print(f"{'module':<34}" + "".join(f"{c:>12}" for c in COLUMNS) + f"{'score':>8}")
    for meta in metas:
        c = counts(meta)
        module = str(meta.relative_to(root))[: -len(".meta")]
        run = c["killed"] + c["survived"] + c["timeout"]
        score = f"{100 * (c['killed'] + c['timeout']) / run:.1f}%" if run else "-"
        other = {k: v for k, v in c.items() if k not in COLUMNS}
        print(
            f"{module:<34}"
            + "".join(f"{c[k]:>12}" for k in COLUMNS)
            + f"{score:>8}"
            + (f"  {other}" if other else "")
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
