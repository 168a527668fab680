"""Score per module and surviving mutants of the last `mutmut run`, printed and written to docs/mutation-report.md.

Run by `make mutate` after mutmut. A module passes at 90 % of its mutants killed; a mutant that no selected
test reaches ("no tests") counts as surviving, since nothing would catch it.
"""

import json
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

TARGET = 90.0
KILLED = {1, 3, 36, 24, -24, 152, 255, 37}  # killed, pytest internal error, timeouts, type check
SKIPPED = {34}
ROOT = Path(__file__).resolve().parent.parent


def module_results() -> dict[str, dict[str, int | None]]:
    results = {}
    for meta in sorted((ROOT / "mutants").rglob("*.py.meta")):
        source = meta.relative_to(ROOT / "mutants").with_suffix("")
        results[str(source)] = json.loads(meta.read_text())["exit_code_by_key"]
    return results


def diff_of(mutant: str) -> str:
    shown = subprocess.run([sys.executable, "-m", "mutmut", "show", mutant], cwd=ROOT, capture_output=True, text=True)
    lines = [line for line in shown.stdout.splitlines()[1:] if line.startswith(("-", "+")) and not line.startswith(
        ("---", "+++"))]
    return "\n".join(lines)


def main() -> int:
    results = module_results()
    if not results:
        print("No mutmut results: run `make mutate`.")
        return 1
    rows, survivors, failing = [], [], []
    for module, codes in results.items():
        counts = Counter("killed" if code in KILLED else "skipped" if code in SKIPPED else "survived"
                         for code in codes.values())
        tested = counts["killed"] + counts["survived"]
        score = 100.0 * counts["killed"] / tested if tested else 100.0
        rows.append(f"| `{module}` | {tested} | {counts['killed']} | {counts['survived']} | {score:.1f} % |")
        if score < TARGET:
            failing.append(module)
        survivors += [(module, name) for name, code in codes.items() if code not in KILLED | SKIPPED]

    report = [
        "# Mutation testing report",
        "",
        f"`make mutate` on {date.today().isoformat()}; target: {TARGET:.0f} % killed in each module.",
        "Why each survivor is equivalent or harmless: docs/mutation.md.",
        "",
        "| module | mutants | killed | survived | score |",
        "|---|---|---|---|---|",
        *rows,
        "",
        "## Surviving mutants",
        "",
    ]
    shown_module = None
    for module, name in survivors:
        if module != shown_module:
            report += [f"### `{module}`", ""]
            shown_module = module
        report += [f"`{name}`", "", "```diff", diff_of(name), "```", ""]
    text = "\n".join(report) + "\n"
    (ROOT / "docs" / "mutation-report.md").write_text(text)
    print("\n".join(rows))
    print(f"{len(survivors)} surviving mutants listed in docs/mutation-report.md")
    if failing:
        print("Below the target:", ", ".join(failing))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
