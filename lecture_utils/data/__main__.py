"""`python -m lecture_utils.data`: regenerate the embedded corpus files and print their sha256."""
from .corpus import write_corpus

for name, digest in write_corpus().items():
    print(f'    "{name}": "{digest}",')
