"""Tokenizing, the BM25 index, retrieval and abstention."""
