"""readme_results.py: copies the main tables of bench/results/RESULTS.md into README.md.

usage: python3 bench/readme_results.py [RESULTS.md] [README.md]
Replaces whatever stands between the markers <!-- results:begin --> and <!-- results:end --> in
the README with the run header and the ML-100K u1, 5-fold, ML-1M and PyTorch side-by-side
tables (section headings one level down), so the README's figures are always the suite's own.
"""
import re
import sys

SECTIONS = ("Every model on ML-100K", "ML-100K 5-fold", "ML-1M", "Side by side")


def main():
    results = sys.argv[1] if len(sys.argv) > 1 else "bench/results/RESULTS.md"
    readme = sys.argv[2] if len(sys.argv) > 2 else "README.md"
    text = open(results, encoding="utf-8").read()
    parts = re.split(r"^## ", text, flags=re.M)
    header = [l for l in parts[0].splitlines() if l.startswith("- run:") or l.startswith("- machine:")]
    out = ["Generated from [`bench/results/RESULTS.md`](bench/results/RESULTS.md) by "
           "`python3 bench/readme_results.py`; curve links are relative to `bench/results/`.", ""]
    out += header + [""]
    for part in parts[1:]:
        title = part.splitlines()[0]
        if title.startswith(SECTIONS):
            body = part.replace("](curves/", "](bench/results/curves/")
            out.append("### " + body.rstrip() + "\n")
    block = "\n".join(out)
    doc = open(readme, encoding="utf-8").read()
    begin, end = "<!-- results:begin -->", "<!-- results:end -->"
    if begin not in doc or end not in doc:
        sys.exit(f"{readme}: markers {begin} / {end} not found")
    head, rest = doc.split(begin, 1)
    _, tail = rest.split(end, 1)
    open(readme, "w", encoding="utf-8").write(head + begin + "\n" + block + "\n" + end + tail)


if __name__ == "__main__":
    main()
