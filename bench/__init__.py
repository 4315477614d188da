"""Benchmarks: a news-like corpus generator (`bench.corpus`) and one runner (`bench.run`)."""
