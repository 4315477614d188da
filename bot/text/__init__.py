"""The bottom floor for text: normalisation, tokens, stems and word families.

Both ingest (entities, sentences) and search (questions, ranking) read text
the same way, so the rules live here, below both, and import nothing of the
project's own.
"""
