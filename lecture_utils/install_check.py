"""Run once after `pip install`: build matplotlib's font cache and tiktoken's offline cache, trust the notebooks.

Doing both here keeps the first notebook cell quiet (matplotlib logs "building the font cache" on a
fresh machine) and fails the install early, with a clear message, if packaged data is missing.
"""
from __future__ import annotations


def main() -> None:
    from . import encodings, lab, plotting

    font = plotting.configure_matplotlib()
    cache = encodings.seed_tiktoken_cache()
    for name in encodings.ENCODING_NAMES:
        encodings.get_encoding(name)
    signed = lab.trust_notebooks() if lab.NOTEBOOKS.is_dir() else 0
    print(f"install check ok: CJK font = {font}; tiktoken cache = {cache}; "
          f"{signed} notebooks trusted (signatures in {lab.trust_db()})")


if __name__ == "__main__":
    main()
